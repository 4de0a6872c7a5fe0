//! Post-processing of noisy measurements (free under DP): weighted least squares so that
//! measured quantities satisfy the linear relations the truth satisfies, non-negativity, and
//! rounding to integers that keeps a given total.

/// Minimises sum((x - y)^2 / var) subject to every `constraint` (sum of coef * x = 0).
/// Dependent constraints are skipped, so a redundant system is fine.
pub fn least_squares(y: &[f64], var: &[f64], constraints: &[Vec<(usize, f64)>]) -> Vec<f64> {
    least_squares_with_multipliers(y, var, constraints).0
}

/// `least_squares` and each constraint's multiplier `lambda` (x = y - V A^T lambda; zero for a
/// skipped dependent constraint). An inequality `sum <= 0` held as an equality has a
/// non-negative multiplier where it truly binds; a negative one says the fit would rather
/// leave it slack, so an active-set fit releases it.
pub fn least_squares_with_multipliers(
    y: &[f64],
    var: &[f64],
    constraints: &[Vec<(usize, f64)>],
) -> (Vec<f64>, Vec<f64>) {
    // x = y - V A^T (A V A^T)^-1 A y
    let k = constraints.len();
    if k == 0 {
        return (y.to_vec(), Vec::new());
    }
    let ay: Vec<f64> = constraints
        .iter()
        .map(|c| c.iter().map(|&(i, a)| a * y[i]).sum())
        .collect();
    let mut m = vec![vec![0.0; k]; k];
    for (r, cr) in constraints.iter().enumerate() {
        let mut dense = std::collections::HashMap::new();
        for &(i, a) in cr {
            *dense.entry(i).or_insert(0.0) += a * var[i];
        }
        for (s, cs) in constraints.iter().enumerate() {
            m[r][s] = cs
                .iter()
                .map(|&(i, a)| a * dense.get(&i).copied().unwrap_or(0.0))
                .sum();
        }
    }
    let lambda = solve_symmetric(m, ay);
    let mut x = y.to_vec();
    for (r, c) in constraints.iter().enumerate() {
        for &(i, a) in c {
            x[i] -= var[i] * a * lambda[r];
        }
    }
    (x, lambda)
}

/// Least squares, then cells forced below zero are fixed at zero and the rest refitted, until
/// none is negative (each round fixes at least one cell, so it ends).
pub fn nonnegative_least_squares(y: &[f64], var: &[f64], constraints: &[Vec<(usize, f64)>]) -> Vec<f64> {
    let mut fixed = vec![false; y.len()];
    loop {
        // A fixed cell is a measurement of zero with (almost) no variance.
        let v: Vec<f64> = var
            .iter()
            .zip(&fixed)
            .map(|(&v, &f)| if f { v * 1e-12 } else { v })
            .collect();
        let y2: Vec<f64> = y
            .iter()
            .zip(&fixed)
            .map(|(&y, &f)| if f { 0.0 } else { y })
            .collect();
        let x = least_squares(&y2, &v, constraints);
        let mut again = false;
        for (i, xi) in x.iter().enumerate() {
            if *xi < -1e-9 && !fixed[i] {
                fixed[i] = true;
                again = true;
            }
        }
        if !again {
            return x.into_iter().map(|v| v.max(0.0)).collect();
        }
    }
}

/// Gaussian elimination with partial pivoting; a pivot near zero marks a dependent row,
/// whose multiplier is left at zero.
fn solve_symmetric(mut m: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    let scale = m.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs())).max(1e-300);
    let mut pivots: Vec<Option<usize>> = vec![None; n];
    let mut row_used = vec![false; n];
    for col in 0..n {
        let Some(p) = (0..n)
            .filter(|&r| !row_used[r])
            .max_by(|&a, &c| m[a][col].abs().total_cmp(&m[c][col].abs()))
        else {
            break;
        };
        if m[p][col].abs() <= 1e-10 * scale {
            continue;
        }
        row_used[p] = true;
        pivots[col] = Some(p);
        let pivot_row = m[p].clone();
        for r in 0..n {
            if r != p && m[r][col] != 0.0 {
                let f = m[r][col] / pivot_row[col];
                for (x, y) in m[r][col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * y;
                }
                b[r] -= f * b[p];
            }
        }
    }
    (0..n)
        .map(|col| pivots[col].map_or(0.0, |p| b[p] / m[p][col]))
        .collect()
}

/// Rounds non-negative values to integers summing to `total`: floors first, then the
/// largest remainders get the missing units (or the smallest lose the surplus).
pub fn round_to_total(values: &[f64], total: i64) -> Vec<i64> {
    let mut out: Vec<i64> = values.iter().map(|v| v.max(0.0).floor() as i64).collect();
    let mut gap = total - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = values[a] - values[a].floor();
        let rb = values[b] - values[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    let mut i = 0;
    while gap > 0 && !order.is_empty() {
        out[order[i % order.len()]] += 1;
        gap -= 1;
        i += 1;
    }
    let mut j = order.len();
    while gap < 0 && out.iter().any(|&v| v > 0) {
        j = if j == 0 { order.len() } else { j };
        j -= 1;
        let c = order[j];
        if out[c] > 0 {
            out[c] -= 1;
            gap += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_makes_parts_add_up_to_the_total() {
        // cells 0,1,2 and a separately measured total 3: x0 + x1 + x2 - x3 = 0.
        let y = [10.0, 20.0, 30.0, 66.0];
        let var = [1.0; 4];
        let c = vec![vec![(0, 1.0), (1, 1.0), (2, 1.0), (3, -1.0)]];
        let x = least_squares(&y, &var, &c);
        assert!((x[0] + x[1] + x[2] - x[3]).abs() < 1e-9);
        // The discrepancy 6 is shared equally over four unit-variance measurements.
        assert!((x[3] - 64.5).abs() < 1e-9 && (x[0] - 11.5).abs() < 1e-9);
        // A repeated constraint changes nothing.
        let x2 = least_squares(&y, &var, &[c[0].clone(), c[0].clone()]);
        assert!((x2[3] - 64.5).abs() < 1e-9);
    }

    /// A tied inequality that pulls the fit towards its boundary has a negative multiplier;
    /// one that holds the fit back, a positive one.
    #[test]
    fn a_multipliers_sign_says_whether_a_tie_binds() {
        // x0 <= x1 measured 5 and 3: the tie binds (lambda > 0); measured 3 and 5: it pulls.
        let tie = vec![vec![(0, 1.0), (1, -1.0)]];
        let (x, l) = least_squares_with_multipliers(&[5.0, 3.0], &[1.0; 2], &tie);
        assert!((x[0] - 4.0).abs() < 1e-9 && l[0] > 0.0);
        let (_, l) = least_squares_with_multipliers(&[3.0, 5.0], &[1.0; 2], &tie);
        assert!(l[0] < 0.0);
    }

    #[test]
    fn negatives_are_fixed_at_zero_and_the_rest_refitted() {
        let y = [-3.0, 10.0, 5.0];
        let c = vec![vec![(0, 1.0), (1, 1.0), (2, -1.0)]];
        let x = nonnegative_least_squares(&y, &[1.0; 3], &c);
        assert!(x.iter().all(|v| *v >= 0.0));
        assert!((x[0] + x[1] - x[2]).abs() < 1e-6);
        assert!(x[0] < 1e-6);
    }

    #[test]
    fn rounding_keeps_the_total() {
        assert_eq!(round_to_total(&[1.4, 2.4, 3.2], 7), vec![2, 2, 3]);
        assert_eq!(round_to_total(&[0.2, 0.2, 0.2], 0), vec![0, 0, 0]);
        assert_eq!(round_to_total(&[2.9, 2.9], 4), vec![2, 2]);
        assert_eq!(round_to_total(&[0.6, 0.6, 0.6], 2).iter().sum::<i64>(), 2);
    }
}
