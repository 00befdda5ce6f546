//! Partition refinement: the coarsest partition of `0..n` in which every given set is a union of
//! classes. Atoms with identical truth vectors over a block's predicates end in one class.

/// Refines `0..n` by every set in `sets` (each sorted or not, without duplicates, all elements
/// `< n`; elements out of range are ignored). Returns the class of every element and the number
/// of classes. Cost: `O(n + Σ |set|)`.
pub(crate) fn refine<'a>(n: u32, sets: impl IntoIterator<Item = &'a [u32]>) -> (Vec<u32>, u32) {
    let len = n as usize;
    let mut elems: Vec<u32> = (0..n).collect();
    let mut pos: Vec<u32> = (0..n).collect();
    let mut class_of: Vec<u32> = vec![0; len];
    // Per class: [start, end) in `elems`, and how many of its elements the current set marked
    // (moved to the front of the class).
    let mut classes: Vec<(u32, u32)> = vec![(0, n)];
    let mut marked: Vec<u32> = vec![0];
    let mut touched: Vec<u32> = Vec::new();
    for set in sets {
        for &a in set {
            let Some(&c) = class_of.get(a as usize) else {
                continue;
            };
            let (start, _) = classes[c as usize];
            let m = marked[c as usize];
            if m == 0 {
                touched.push(c);
            }
            let pa = pos[a as usize];
            let target = start + m;
            let b = elems[target as usize];
            elems.swap(pa as usize, target as usize);
            pos[a as usize] = target;
            pos[b as usize] = pa;
            marked[c as usize] = m + 1;
        }
        for c in touched.drain(..) {
            let (start, end) = classes[c as usize];
            let m = std::mem::take(&mut marked[c as usize]);
            if m == end - start {
                continue;
            }
            let new_class = classes.len() as u32;
            classes.push((start, start + m));
            marked.push(0);
            classes[c as usize] = (start + m, end);
            for &e in &elems[start as usize..(start + m) as usize] {
                class_of[e as usize] = new_class;
            }
        }
    }
    let count = classes.len() as u32;
    (class_of, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_truth_vectors() {
        let a: &[u32] = &[1, 2, 3];
        let b: &[u32] = &[3, 4];
        let c: &[u32] = &[0, 1, 2, 3, 4, 5, 6, 7];
        let (class_of, count) = refine(8, [a, b, c]);
        // Truth vectors: 0:000→ in c only, 1,2: ab̄, 3: ab, 4: āb, 5,6,7: none of a,b.
        assert_eq!(count, 4);
        assert_eq!(class_of[1], class_of[2]);
        assert_eq!(class_of[0], class_of[5]);
        assert_eq!(class_of[5], class_of[7]);
        let distinct: std::collections::BTreeSet<u32> =
            [0, 1, 3, 4].iter().map(|&i| class_of[i]).collect();
        assert_eq!(distinct.len(), 4);
    }

    #[test]
    fn no_sets_one_class() {
        let (class_of, count) = refine(5, std::iter::empty::<&[u32]>());
        assert_eq!(count, 1);
        assert_eq!(class_of, vec![0; 5]);
    }
}
