//! The processing pipeline: jobs running and queued on each lane, jobs refused because
//! the queue was full, the time each stage takes, and the memory decoded pixels hold.

use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// A step of the pipeline, as the stage histogram names it.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum Stage {
    Probe,
    Decode,
    /// Turning upright and converting to sRGB.
    Orient,
    Resize,
    /// Encoding at a fixed quality (variants).
    Encode,
    /// Encoding within the byte target (the quality search).
    Fit,
    /// Dropping metadata without decoding.
    Strip,
}

super::label_values!(Stage { Probe => "probe", Decode => "decode", Orient => "orient", Resize => "resize", Encode => "encode", Fit => "fit", Strip => "strip" });

/// A lane of the processing pool.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum Lane {
    Main,
    Small,
}

super::label_values!(Lane { Main => "main", Small => "small" });

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
enum JobState {
    Running,
    Queued,
}

super::label_values!(JobState { Running => "running", Queued => "queued" });

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    lane: Lane,
    state: JobState,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LaneLabels {
    lane: Lane,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabels {
    stage: Stage,
}

#[derive(Debug)]
pub struct Pipeline {
    jobs: Family<JobLabels, Gauge>,
    rejections: Family<LaneLabels, Counter>,
    stages: Family<StageLabels, Histogram, fn() -> Histogram>,
    decode_memory: Gauge,
}

impl Pipeline {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let jobs = Family::default();
        registry.register(
            "pipeline_jobs",
            "Processing jobs running on a worker or queued for one, by lane",
            Family::clone(&jobs),
        );
        let rejections = Family::default();
        registry.register(
            "pipeline_queue_rejections",
            "Jobs refused because every place of the pool was taken (answered 503), by the lane that refused",
            Family::clone(&rejections),
        );
        let stages: Family<StageLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(super::latency_histogram);
        registry.register_with_unit(
            "pipeline_stage_duration",
            "Time a pipeline stage takes, by stage",
            Unit::Seconds,
            stages.clone(),
        );
        let decode_memory = Gauge::default();
        registry.register_with_unit(
            "pipeline_decode_memory",
            "Memory held for decoded pixels by the jobs running now",
            Unit::Bytes,
            decode_memory.clone(),
        );
        for lane in [Lane::Main, Lane::Small] {
            for state in [JobState::Running, JobState::Queued] {
                jobs.get_or_create_owned(&JobLabels { lane, state });
            }
        }
        Self {
            jobs,
            rejections,
            stages,
            decode_memory,
        }
    }

    /// Runs `step` and records its time as `stage`.
    pub fn time<T>(&self, stage: Stage, step: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = step();
        self.stage_took(stage, super::seconds_since(start));
        out
    }

    pub fn stage_took(&self, stage: Stage, seconds: f64) {
        self.stages
            .get_or_create(&StageLabels { stage })
            .observe(seconds);
    }

    /// A job took a place on `lane` and waits for a worker.
    pub fn queued(&self, lane: Lane) {
        self.job_gauge(lane, JobState::Queued).inc();
    }

    /// A worker of `lane` took a queued job.
    pub fn started(&self, lane: Lane) {
        self.job_gauge(lane, JobState::Queued).dec();
        self.job_gauge(lane, JobState::Running).inc();
    }

    /// A job of `lane` finished (or failed).
    pub fn finished(&self, lane: Lane) {
        self.job_gauge(lane, JobState::Running).dec();
    }

    /// `lane` was full and refused a job.
    pub fn rejected(&self, lane: Lane) {
        self.rejections.get_or_create(&LaneLabels { lane }).inc();
    }

    /// Decoded pixels now hold `bytes` more (negative: fewer).
    pub fn decode_memory_changed(&self, bytes: i64) {
        self.decode_memory.inc_by(bytes);
    }

    fn job_gauge(&self, lane: Lane, state: JobState) -> Gauge {
        self.jobs.get_or_create_owned(&JobLabels { lane, state })
    }
}
