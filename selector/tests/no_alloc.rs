//! Evaluation performs no heap allocation (a counting global allocator proves it).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};

use palisade_selector::{Chain, LabelSet, Selector};

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

struct Counting;

// SAFETY: forwards to the system allocator unchanged; only counts calls on the current thread.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

const SELECTORS: &[&str] = &[
    "app == 'web' && tier in {'fe','be'} && !has(quarantine) && env != 'dev' && team starts with 'pay'",
    "a contains 'needle-in-a-haystack' || b ends with 'x' || c not in {'1','2','3','4','5','6','7'}",
    "!(!has(a)) && (x == 'y' || (z in {} && all())) || global()",
];

#[test]
fn evaluation_does_not_allocate() {
    let pairs: Vec<(String, String)> = (0..10)
        .map(|i| (format!("label{i}"), format!("value{i}")))
        .chain([
            ("app".into(), "web".into()),
            ("tier".into(), "fe".into()),
            ("env".into(), "prod".into()),
            ("team".into(), "payments".into()),
            ("a".into(), "xxxxxxxxxxxxneedle-in-a-haystackyyyyy".into()),
        ])
        .collect();
    let set: LabelSet = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let btree: BTreeMap<String, String> = pairs.iter().cloned().collect();
    let hash: HashMap<String, String> = pairs.iter().cloned().collect();
    let inherited: LabelSet = [("team", "payments"), ("zone", "b")].into_iter().collect();
    let chain = Chain(&set, &inherited);
    let layers = [set.clone(), inherited.clone()];
    let selectors: Vec<Selector> = SELECTORS
        .iter()
        .map(|s| Selector::parse(s).unwrap())
        .collect();

    let mut matched = 0usize;
    let n = allocations_during(|| {
        for _ in 0..100 {
            for sel in &selectors {
                matched += usize::from(sel.matches(&set));
                matched += usize::from(sel.matches(&btree));
                matched += usize::from(sel.matches(&hash));
                matched += usize::from(sel.matches(&chain));
                matched += usize::from(sel.matches(&layers[..]));
            }
        }
    });
    assert_eq!(n, 0, "evaluation allocated {n} times");
    assert!(matched > 0, "the test evaluates selectors that do match");
    // The counter does count: parsing allocates.
    assert!(allocations_during(|| drop(Selector::parse(SELECTORS[0]).unwrap())) > 0);
}
