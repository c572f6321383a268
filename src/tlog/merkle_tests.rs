//! Tests of [`Tree`] against the RFC 6962 reference roots and against a naive recursive
//! MTH / PATH / PROOF written straight from RFC 6962 §2.1, with every proof checked by
//! `proof.rs` and tampered proofs rejected.

use super::*;
use crate::tlog::hash::leaf_hash;
use crate::tlog::proof::{verify_consistency, verify_inclusion};
use proptest::prelude::*;

pub(crate) fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The eight leaf inputs of the certificate-transparency / transparency-dev merkle tests.
pub(crate) const RFC_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// `RootHashes()` of transparency-dev/merkle `testonly/constants.go`: the root of the tree
/// over the first `i` of [`RFC_LEAVES`].
const RFC_ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// `NodeHashes()` of the same file for levels 1..=3 (level 0 is the leaf hashes).
const RFC_NODES: [&[&str]; 3] = [
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

pub(crate) fn rfc_leaf_hashes() -> Vec<Hash> {
    RFC_LEAVES.iter().map(|l| leaf_hash(&unhex(l))).collect()
}

/// Distinct leaf hashes for synthetic trees.
pub(crate) fn leaves(n: u64) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
}

// ---- The naive reference, straight from RFC 6962 §2.1 (over leaf hashes). ----

/// The largest power of two smaller than `n` (`n > 1`), found the slow way.
fn naive_k(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]).
pub(crate) fn naive_mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => empty_root(),
        1 => d[0],
        n => {
            let k = naive_k(n);
            node_hash(&naive_mth(&d[..k]), &naive_mth(&d[k..]))
        }
    }
}

/// PATH(m, D[n]).
fn naive_path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n == 1 {
        return vec![];
    }
    let k = naive_k(n);
    if m < k {
        let mut p = naive_path(m, &d[..k]);
        p.push(naive_mth(&d[k..]));
        p
    } else {
        let mut p = naive_path(m - k, &d[k..]);
        p.push(naive_mth(&d[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b).
fn naive_subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![naive_mth(d)] };
    }
    let k = naive_k(n);
    if m <= k {
        let mut p = naive_subproof(m, &d[..k], b);
        p.push(naive_mth(&d[k..]));
        p
    } else {
        let mut p = naive_subproof(m - k, &d[k..], false);
        p.push(naive_mth(&d[..k]));
        p
    }
}

/// PROOF(m, D[n]) (with the empty proof for m == 0, which the RFC leaves undefined).
pub(crate) fn naive_proof(m: usize, d: &[Hash]) -> Vec<Hash> {
    if m == 0 {
        return vec![];
    }
    naive_subproof(m, d, true)
}

// ---- Checks shared by the exhaustive, targeted and property tests. ----

fn flip(h: &mut Hash, bit: usize) {
    h[(bit / 8) % 32] ^= 1 << (bit % 8);
}

/// Tree proof == naive proof, it verifies, and every tampering fails.
fn check_inclusion(tree: &Tree, all: &[Hash], index: u64, size: u64, salt: usize) {
    let d = &all[..size as usize];
    let proof = tree.inclusion_proof(index, size).unwrap();
    assert_eq!(
        proof,
        naive_path(index as usize, d),
        "PATH({index}, D[{size}])"
    );
    let root = naive_mth(d);
    assert_eq!(tree.root_at(size).unwrap(), root);
    let leaf = d[index as usize];
    verify_inclusion(&leaf, index, size, &proof, &root).unwrap();

    let bad = |p: &[Hash], i: u64, n: u64, r: &Hash, what: &str| {
        assert!(
            verify_inclusion(&leaf, i, n, p, r).is_err(),
            "{what} verified: index {index} size {size}"
        );
    };
    for j in 0..proof.len() {
        let mut p = proof.clone();
        flip(&mut p[j], salt + j * 37);
        bad(&p, index, size, &root, "flipped bit");
        let mut p = proof.clone();
        p.remove(j);
        bad(&p, index, size, &root, "dropped hash");
    }
    for j in 0..=proof.len() {
        let mut p = proof.clone();
        p.insert(j, all[(salt + j) % all.len()]);
        bad(&p, index, size, &root, "added hash");
    }
    let mut r = root;
    flip(&mut r, salt);
    bad(&proof, index, size, &r, "flipped root");
    let mut l = leaf;
    flip(&mut l, salt);
    assert!(verify_inclusion(&l, index, size, &proof, &root).is_err());
    for wrong in [index ^ 1, index + 1, index.wrapping_sub(1), size] {
        if wrong != index && wrong < size {
            bad(&proof, wrong, size, &root, "wrong index");
        }
    }
    bad(&proof, size, size, &root, "index == size");
    for wrong in [size + 1, size - 1, size * 2, size / 2] {
        if wrong != size && wrong > index && wrong <= tree.size() {
            let r = tree.root_at(wrong).unwrap();
            bad(&proof, index, wrong, &r, "wrong size");
        }
    }
}

/// Tree consistency proof == naive PROOF, it verifies, and every tampering fails.
fn check_consistency(tree: &Tree, all: &[Hash], size1: u64, size2: u64, salt: usize) {
    let d = &all[..size2 as usize];
    let proof = tree.consistency_proof(size1, size2).unwrap();
    assert_eq!(
        proof,
        naive_proof(size1 as usize, d),
        "PROOF({size1}, D[{size2}])"
    );
    let root1 = naive_mth(&d[..size1 as usize]);
    let root2 = naive_mth(d);
    verify_consistency(size1, size2, &root1, &root2, &proof).unwrap();

    let bad = |n1: u64, n2: u64, r1: &Hash, r2: &Hash, p: &[Hash], what: &str| {
        assert!(
            verify_consistency(n1, n2, r1, r2, p).is_err(),
            "{what} verified: size1 {size1} size2 {size2}"
        );
    };
    for j in 0..proof.len() {
        let mut p = proof.clone();
        flip(&mut p[j], salt + j * 41);
        bad(size1, size2, &root1, &root2, &p, "flipped bit");
        let mut p = proof.clone();
        p.remove(j);
        bad(size1, size2, &root1, &root2, &p, "dropped hash");
    }
    for j in 0..=proof.len() {
        let mut p = proof.clone();
        p.insert(j, all[(salt + j) % all.len()]);
        bad(size1, size2, &root1, &root2, &p, "added hash");
    }
    if size1 > 0 {
        let (mut r1, mut r2) = (root1, root2);
        flip(&mut r1, salt);
        flip(&mut r2, salt);
        bad(size1, size2, &r1, &root2, &proof, "flipped root1");
        bad(size1, size2, &root1, &r2, &proof, "flipped root2");
        if size1 != size2 {
            bad(size1, size2, &root2, &root1, &proof, "swapped roots");
        }
        for wrong in [size1 + 1, size1 - 1, size1 ^ 2] {
            if wrong != size1 && wrong > 0 && wrong < size2 {
                let r = naive_mth(&d[..wrong as usize]);
                bad(wrong, size2, &r, &root2, &proof, "wrong size1");
            }
        }
        for wrong in [size2 + 1, size2 - 1, size2 * 2] {
            if wrong != size2 && wrong > size1 && wrong <= tree.size() {
                let r = tree.root_at(wrong).unwrap();
                bad(size1, wrong, &root1, &r, &proof, "wrong size2");
            }
        }
    }
}

// ---- Tests. ----

#[test]
fn rfc6962_reference_roots() {
    let mut tree = Tree::new();
    assert_eq!(hex(&tree.root()), RFC_ROOTS[0]);
    for (i, leaf) in rfc_leaf_hashes().into_iter().enumerate() {
        tree.push(leaf);
        assert_eq!(
            hex(&tree.root()),
            RFC_ROOTS[i + 1],
            "root of size {}",
            i + 1
        );
    }
    for (size, want) in RFC_ROOTS.iter().enumerate() {
        assert_eq!(hex(&tree.root_at(size as u64).unwrap()), *want);
        assert_eq!(hex(&naive_mth(&rfc_leaf_hashes()[..size])), *want);
    }
    for (k, want) in RFC_NODES.iter().enumerate() {
        let h = k as u32 + 1;
        let got: Vec<String> = (0..tree.size() >> h)
            .map(|i| hex(&tree.complete(h, i << h)))
            .collect();
        assert_eq!(got, *want, "level {}", k + 1);
    }
}

#[test]
fn rfc6962_reference_proofs_all_sizes() {
    let all = rfc_leaf_hashes();
    let tree = Tree::from_leaf_hashes(all.clone());
    for size in 1..=8 {
        for index in 0..size {
            check_inclusion(&tree, &all, index, size, 3);
        }
        for size1 in 0..=size {
            check_consistency(&tree, &all, size1, size, 5);
        }
    }
}

#[test]
fn proofs_match_naive_exhaustively_up_to_40() {
    let all = leaves(40);
    let tree = Tree::from_leaf_hashes(all.clone());
    for size in 1..=40u64 {
        for index in 0..size {
            check_inclusion(&tree, &all, index, size, (size * 7 + index) as usize);
        }
        for size1 in 0..=size {
            check_consistency(&tree, &all, size1, size, (size * 11 + size1) as usize);
        }
    }
}

#[test]
fn proofs_match_naive_around_powers_of_two() {
    let all = leaves(1100);
    let tree = Tree::from_leaf_hashes(all.clone());
    let mut sizes: Vec<u64> = (1..=10)
        .flat_map(|k| [(1 << k) - 1, 1 << k, (1 << k) + 1])
        .collect();
    sizes.push(1100);
    for &size in &sizes {
        let picks = [
            0,
            1,
            size / 3,
            size / 2,
            size.saturating_sub(2),
            size - 1,
            255,
            256,
            511,
            512,
        ];
        for index in picks.into_iter().filter(|&i| i < size) {
            check_inclusion(&tree, &all, index, size, index as usize);
        }
        for size1 in picks.into_iter().chain(sizes.iter().copied()) {
            if size1 <= size {
                check_consistency(&tree, &all, size1, size, size1 as usize);
            }
        }
    }
}

fn build_by_push(leaves: &[Hash]) -> Tree {
    let mut t = Tree::new();
    for h in leaves {
        t.push(*h);
    }
    t
}

#[test]
fn root_at_every_size_equals_fresh_tree() {
    let all = leaves(300);
    let tree = build_by_push(&all);
    for k in 0..=300u64 {
        let fresh = build_by_push(&all[..k as usize]);
        assert_eq!(tree.root_at(k).unwrap(), fresh.root(), "size {k}");
        assert_eq!(fresh, Tree::from_leaf_hashes(all[..k as usize].to_vec()));
    }
    assert_eq!(tree.root(), naive_mth(&all));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn prop_inclusion_matches_naive(size in 1u64..=300, index_seed in any::<u64>(), salt in 0usize..256) {
        let all = leaves(310);
        let tree = Tree::from_leaf_hashes(all.clone());
        check_inclusion(&tree, &all, index_seed % size, size, salt);
    }

    #[test]
    fn prop_consistency_matches_naive(size2 in 1u64..=300, seed in any::<u64>(), salt in 0usize..256) {
        let all = leaves(310);
        let tree = Tree::from_leaf_hashes(all.clone());
        check_consistency(&tree, &all, seed % (size2 + 1), size2, salt);
    }

    #[test]
    fn prop_truncate_then_push_equals_direct(n in 0usize..300, cut_seed in any::<usize>(), extra in 0usize..40) {
        let all = leaves(340);
        let cut = cut_seed % (n + 1);
        let mut tree = build_by_push(&all[..n]);
        prop_assert_eq!(&tree, &Tree::from_leaf_hashes(all[..n].to_vec()));
        tree.truncate(cut as u64);
        prop_assert_eq!(&tree, &Tree::from_leaf_hashes(all[..cut].to_vec()));
        // Re-append different leaves after the cut, as a store would after a rollback.
        let other: Vec<Hash> = (0..extra).map(|i| leaf_hash(format!("r{i}").as_bytes())).collect();
        for h in &other {
            tree.push(*h);
        }
        let mut direct = all[..cut].to_vec();
        direct.extend_from_slice(&other);
        prop_assert_eq!(tree.root(), naive_mth(&direct));
        prop_assert_eq!(&tree, &Tree::from_leaf_hashes(direct));
    }
}

#[test]
fn verifier_rejects_wrong_lengths_even_with_matching_roots() {
    // Proofs that hash to the claimed root but have the wrong length for the claimed
    // position must fail: an interior node passed off as a leaf with a shortened path,
    // or a path extended past the root to a forged root.
    let all = rfc_leaf_hashes();
    let tree = Tree::from_leaf_hashes(all.clone());
    for size in 1..=8u64 {
        let root = tree.root_at(size).unwrap();
        for index in 0..size {
            let proof = tree.inclusion_proof(index, size).unwrap();
            for x in [all[0], root] {
                let mut longer = proof.clone();
                longer.push(x);
                assert!(verify_inclusion(
                    &all[index as usize],
                    index,
                    size,
                    &longer,
                    &node_hash(&x, &root)
                )
                .is_err());
                assert!(verify_inclusion(
                    &all[index as usize],
                    index,
                    size,
                    &longer,
                    &node_hash(&root, &x)
                )
                .is_err());
            }
        }
        for size1 in 1..size {
            if size1.is_power_of_two() {
                let r1 = tree.root_at(size1).unwrap();
                assert!(verify_consistency(size1, size, &r1, &r1, &[]).is_err());
            }
        }
    }
    let root = tree.root();
    for k in 1..=3u32 {
        let interior = tree.complete(k, 0);
        let proof = tree.inclusion_proof(0, 8).unwrap();
        verify_inclusion(&all[0], 0, 8, &proof, &root).unwrap();
        assert!(verify_inclusion(&interior, 0, 8, &proof[k as usize..], &root).is_err());
    }
}
