//! The fuzz targets' checks (fuzz/src/checks/) run as ordinary tests, without the fuzzing
//! toolchain: each target replays its seeds (the directories fuzz/targets.txt names) and
//! its saved findings (fuzz/regressions/TARGET/), then a bounded number of random inputs
//! mutated from them with a fixed seed. `IMGATE_FUZZ_RUNS` sets how many (a factor of the
//! defaults below, e.g. `10` for ten times as many) and `IMGATE_FUZZ_SEED` the seed.

#[path = "../../fuzz/src/checks/mod.rs"]
mod checks;
mod corpus;
mod mutate;

use corpus::Corpus;

/// Replays `target`'s corpus, then `runs` random inputs made from it (times the factor).
fn fuzz(target: &str, runs: u64) {
    let corpus = Corpus::load(target);
    for (name, input) in corpus.files() {
        corpus.check(&format!("corpus file {name}"), input);
    }
    let factor = env_number("IMGATE_FUZZ_RUNS", 1);
    let mut mutator = mutate::Mutator::new(env_number("IMGATE_FUZZ_SEED", 0x1a2b_3c4d));
    for run in 0..runs * factor {
        let input = mutator.input(corpus.inputs());
        corpus.check(&format!("random input {run}"), &input);
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| v.parse().expect("a whole number"))
}

/// One test per target; the numbers are random inputs, a few seconds' worth each.
macro_rules! targets {
    ($($target:ident: $runs:expr),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                fuzz(stringify!($target), $runs);
            }
        )*

        #[test]
        fn every_fuzz_target_has_a_test() {
            corpus::assert_targets_match(&[$(stringify!($target)),*]);
        }
    };
}

targets! {
    sniff: 20_000,
    probe: 4_000,
    exif: 20_000,
    strip: 5_000,
    process: 300,
    v4: 5_000,
    part_list: 20_000,
    template: 20_000,
    base64: 20_000,
    upload_json: 20_000,
}
