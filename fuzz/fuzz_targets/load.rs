//! The loader on arbitrary bytes: it never panics, in strict or lenient mode, and whatever it
//! accepts still validates after defaulting.

#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_policy_model::{LoadOptions, load_bytes, validate};

fuzz_target!(|data: &[u8]| {
    for strict in [true, false] {
        let options = LoadOptions { strict, threads: 1 };
        let loaded = load_bytes(data, None, &options);
        for resource in &loaded.resources {
            assert!(validate(&resource.value).is_empty());
        }
    }
});
