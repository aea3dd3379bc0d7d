//! Runs one pipeline task and prints its timing as JSON, for `benches/compare.py` to set
//! beside libvips and Pillow doing the same work in the same run.
//!
//! ```text
//! pipeline_tasks thumb JPEG SIZE REPS        12 MP JPEG -> SIZE px WebP q80, one thread
//! pipeline_tasks icon JPEG REPS              the icon profile: original plus its variants
//! pipeline_tasks encode PNG FORMAT QUALITY OUT [OPTION]  encode, timed: FORMAT jpeg (OPTION
//!                                            the effort), webp (the method) or avif (the speed)
//! pipeline_tasks throughput JPEG THREADS JOBS icon profile jobs on a pool of THREADS
//! ```

use std::time::Instant;

use imgate::media::FileType;
use imgate::pipeline::{self, DecodeLimits, Effort, Pixels, ProcessingPool, Profile};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).ok_or("missing argument");
    match arg(0)? {
        "thumb" => thumb(&std::fs::read(arg(1)?)?, arg(2)?.parse()?, arg(3)?.parse()?),
        "icon" => icon(&std::fs::read(arg(1)?)?, arg(2)?.parse()?),
        "encode" => encode(arg(1)?, arg(2)?, arg(3)?.parse()?, arg(4)?, args.get(5)),
        "throughput" => throughput(std::fs::read(arg(1)?)?, arg(2)?.parse()?, arg(3)?.parse()?),
        other => Err(format!("unknown task {other}").into()),
    }
}

/// Mean seconds per call of `f` over `reps` runs, after one warm-up run.
fn time<T>(reps: u32, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut last = f();
    let start = Instant::now();
    for _ in 0..reps {
        last = f();
    }
    (start.elapsed().as_secs_f64() / f64::from(reps.max(1)), last)
}

fn thumb(jpeg: &[u8], size: u32, reps: u32) -> Result<(), Box<dyn std::error::Error>> {
    let limits = DecodeLimits::default();
    let (seconds, bytes) = time(reps, || -> Result<Vec<u8>, pipeline::PipelineError> {
        let probe = pipeline::probe(jpeg, FileType::Jpeg)?;
        let long = probe.width.max(probe.height);
        let short = probe.width.min(probe.height);
        let need = (u64::from(size) * u64::from(short)).div_ceil(u64::from(long)) as u32;
        let pixels = pipeline::decode(jpeg, &probe, &limits, need)?.orient(probe.orientation);
        pipeline::encode(
            &pipeline::fit_within(pixels, size),
            FileType::Webp,
            80,
            Effort::Fast,
        )
    });
    println!(
        "{{\"seconds_per_op\": {seconds}, \"bytes\": {}}}",
        bytes?.len()
    );
    Ok(())
}

fn icon(jpeg: &[u8], reps: u32) -> Result<(), Box<dyn std::error::Error>> {
    let (profile, limits) = (Profile::icon(), DecodeLimits::default());
    let (seconds, out) = time(reps, || {
        pipeline::process(jpeg, FileType::Jpeg, &profile, &limits)
    });
    let out = out?;
    let bytes: usize = out.original.bytes.len()
        + out
            .variants
            .iter()
            .map(|v| v.output.bytes.len())
            .sum::<usize>();
    println!(
        "{{\"seconds_per_op\": {seconds}, \"files\": {}, \"bytes\": {bytes}}}",
        1 + out.variants.len()
    );
    Ok(())
}

/// Encodes as `format` (`jpeg`, `webp` or `avif`), timing the encode alone: the best of 3
/// runs. `option` is the JPEG effort (`fast`, `smallest`, the default, `perceptual` or
/// `perceptual-progressive`), the WebP method (0-6, default the service's), or the AVIF
/// speed (1-10), with `quality` on ravif's scale; AVIF without a speed is the service's
/// encode, its speed and its quality mapped from WebP's scale.
fn encode(
    png: &str,
    format: &str,
    quality: u8,
    out: &str,
    option: Option<&String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let pixels = Pixels::from_dynamic(image::open(png)?);
    let run: Box<dyn Fn() -> Result<Vec<u8>, pipeline::PipelineError>> = match format {
        "jpeg" => {
            let effort: Effort = match option {
                Some(name) => serde_json::from_value(serde_json::Value::String(name.clone()))?,
                None => Effort::Smallest,
            };
            Box::new(move || pipeline::encode(&pixels, FileType::Jpeg, quality, effort))
        }
        "webp" => {
            let method = option.map_or(Ok(pipeline::WEBP_METHOD), |m| m.parse())?;
            Box::new(move || pipeline::encode_webp(&pixels, quality, method))
        }
        "avif" => match option {
            Some(speed) => {
                let speed = speed.parse()?;
                Box::new(move || pipeline::encode_avif(&pixels, quality, speed))
            }
            None => {
                Box::new(move || pipeline::encode(&pixels, FileType::Avif, quality, Effort::Fast))
            }
        },
        other => return Err(format!("unknown format {other}").into()),
    };
    let mut best = f64::MAX;
    let mut bytes = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        bytes = run()?;
        best = best.min(start.elapsed().as_secs_f64());
    }
    std::fs::write(out, &bytes)?;
    println!("{{\"bytes\": {}, \"seconds\": {best}}}", bytes.len());
    Ok(())
}

fn throughput(
    jpeg: Vec<u8>,
    threads: usize,
    jobs: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let pool = ProcessingPool::new(threads, jobs)?;
    let jpeg = std::sync::Arc::new(jpeg);
    let start = Instant::now();
    runtime.block_on(async {
        let mut pending = Vec::with_capacity(jobs);
        for _ in 0..jobs {
            let (pool, jpeg) = (pool.clone(), jpeg.clone());
            pending.push(tokio::spawn(async move {
                pool.run(move || {
                    pipeline::process(
                        &jpeg,
                        FileType::Jpeg,
                        &Profile::icon(),
                        &DecodeLimits::default(),
                    )
                    .is_ok()
                })
                .await
            }));
        }
        for job in pending {
            assert_eq!(
                job.await.ok().and_then(Result::ok),
                Some(true),
                "a job failed"
            );
        }
    });
    let rate = jobs as f64 / start.elapsed().as_secs_f64();
    println!("{{\"threads\": {threads}, \"images_per_second\": {rate}}}");
    Ok(())
}
