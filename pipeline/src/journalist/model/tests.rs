//! The post-processing's tests: published margins met, emptied categories given back, hidden
//! counts taking the extract's own noisy ones.

use super::fitting::{fit, match_published_margins};
use super::*;

/// Gender (2) x form (3), counts rounded off the published margins: after the moves each
/// published margin is met, the hidden category takes the rest, and the total is kept.
#[test]
fn whole_persons_are_moved_until_every_published_margin_is_met() {
    let pos: Vec<Vec<usize>> = (0..2).flat_map(|g| (0..3).map(move |f| vec![g, f])).collect();
    let mut counts = vec![10, 3, 0, 4, 2, 1];
    let published = [
        Target {
            dim: 0,
            counts: vec![Some(12.0), Some(8.0)],
        },
        Target {
            dim: 1,
            counts: vec![Some(16.0), None, Some(0.0)],
        },
    ];
    let before = counts.clone();
    let margin = |counts: &[u64], d: usize, c: usize| -> u64 {
        counts
            .iter()
            .zip(&pos)
            .filter(|(_, p)| p[d] == c)
            .map(|(n, _)| n)
            .sum()
    };
    match_published_margins(&pos, &mut counts, &published, 5.0);
    assert_eq!((margin(&counts, 0, 0), margin(&counts, 0, 1)), (12, 8));
    // The hidden category takes the rest: 4, under the bound of 5.
    assert_eq!(
        (
            margin(&counts, 1, 0),
            margin(&counts, 1, 1),
            margin(&counts, 1, 2)
        ),
        (16, 4, 0)
    );
    assert_eq!(counts.iter().sum::<u64>(), before.iter().sum::<u64>());
    assert_ne!(counts, before, "the rounded counts were off, so something moved");
    // With a bound of 3 the hidden category, which rounding left at 5, keeps at most 2.
    let published = [
        published[0].clone(),
        Target {
            dim: 1,
            counts: vec![Some(18.0), None, Some(0.0)],
        },
    ];
    let mut bounded = before.clone();
    match_published_margins(&pos, &mut bounded, &published, 3.0);
    assert_eq!(
        (
            margin(&bounded, 1, 0),
            margin(&bounded, 1, 1),
            margin(&bounded, 1, 2)
        ),
        (18, 2, 0)
    );
    assert_eq!((margin(&bounded, 0, 0), margin(&bounded, 0, 1)), (12, 8));
}

/// Age group x gender; every child cell fell below the threshold. The release counts 8
/// children: the fitted cells must too (without seeding they stay 0 whatever the fitting).
#[test]
fn a_category_the_threshold_emptied_gets_its_published_count_back() {
    let pos: Vec<Vec<usize>> = vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]];
    let mut x = vec![50.0, 30.0, 0.0, 0.0];
    let targets = [
        Target {
            dim: 0,
            counts: vec![Some(80.0), Some(8.0)],
        },
        Target {
            dim: 1,
            counts: vec![Some(55.0), Some(33.0)],
        },
    ];
    fit(&mut x, &pos, &targets, 88);
    let children = x[2] + x[3];
    assert!((children - 8.0).abs() < 0.01, "children {children}: {x:?}");
    let women = x[0] + x[2];
    assert!((women - 55.0).abs() < 0.01, "women {women}: {x:?}");
    // Women, as most adults are, and men: the children's two cells both hold some.
    assert!(x[2] > x[3] && x[3] > 0.5, "{x:?}");
}

/// Two dimensions of 2 and 3 codes; the second's middle code is hidden in its table.
#[test]
fn a_hidden_published_count_takes_the_extracts_own_noisy_count() {
    let mut targets = [Target {
        dim: 1,
        counts: vec![Some(40.0), None, Some(9.0)],
    }];
    // One-way marginals first (2 then 3 codes), then the two-way ones.
    let noisy = [30, 25, 41, 4, -2, 0, 0, 0, 0, 0, 0];
    fill_hidden_targets(&mut targets, &[2, 3], &noisy, 5.0);
    assert_eq!(targets[0].counts, vec![Some(40.0), Some(4.0), Some(9.0)]);
    let mut negative = [Target {
        dim: 1,
        counts: vec![Some(40.0), Some(4.0), None],
    }];
    fill_hidden_targets(&mut negative, &[2, 3], &noisy, 5.0);
    assert_eq!(negative[0].counts[2], Some(0.0), "clamped at zero");
    // A noisy count above what the table says the cell is below is held under it.
    let mut high = [Target {
        dim: 0,
        counts: vec![None, Some(3.0)],
    }];
    fill_hidden_targets(&mut high, &[2, 3], &noisy, 5.0);
    assert_eq!(
        high[0].counts[0],
        Some(4.0),
        "30 noisy, but the table says under 5"
    );
}
