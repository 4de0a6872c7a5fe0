//! What differential privacy measures of each table, and how sensitive that is to one person:
//! a single-valued table's inner cells (a person is in one: L2 sensitivity 1), and its grand
//! total too where the spec says `measure_total` (a person adds one to a cell and one to the
//! total: sqrt 2); a multi-valued table's codes truncated to m, plus persons with any code, with
//! none, with several (a person adds at most m + 2 ones: sensitivity sqrt(m + 2)). Other
//! totals are derived from the cells.

use crate::tables::{Table, Tables};
use safetally_dp::budget::{TablePlan, plan};

use super::config::DpConfig;
use crate::error::{ReleaseError, StageError};

/// Cell indices of the measured vector, in order.
pub fn measured_cells(t: &Table) -> Vec<usize> {
    if t.multi {
        (0..t.n_cells())
            .filter(|&i| t.codes(i)[0] != crate::tables::TOTAL)
            .collect()
    } else {
        let mut cells: Vec<usize> = (0..t.n_cells()).filter(|&i| !t.is_margin(i)).collect();
        if t.spec.measure_total {
            cells.push(t.grand_total());
        }
        cells
    }
}

/// The L2 sensitivity of a table's measured cells: one person moves a single-valued table's
/// cell by one (and its measured total, where it has one, by one more); a multi-valued
/// table's up to `max_codes` code cells and two more measured cells, each by one.
pub fn sensitivity(t: &Table) -> f64 {
    if t.multi {
        (t.spec.max_codes.unwrap_or(1) as f64 + 2.0).sqrt()
    } else if t.spec.measure_total {
        2f64.sqrt()
    } else {
        1.0
    }
}

/// `x` with `decimals` decimals, or in scientific notation when that would print a run of
/// digits nobody reads (`plan --rho 1e300` printed 300 of them) or only zeros.
pub fn readable(x: f64, decimals: usize) -> String {
    let a = x.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e9).contains(&a) {
        format!("{x:.3e}")
    } else {
        format!("{x:.decimals$}")
    }
}

/// The least rho a release may spend: below it a cell's noise is thousands of persons (at
/// 1e-6, a 95% half-width near 20 000 on the report's tables), which says nothing about a
/// platform's few hundred, and drawing noise of astronomic scale takes minutes to hours.
pub const MIN_RHO: f64 = 1e-6;

/// Why `rho` cannot be spent or planned, if it cannot: not a positive number, or under
/// `MIN_RHO`.
pub fn unusable_rho(rho: f64) -> Option<String> {
    if !(rho > 0.0 && rho.is_finite()) {
        return Some(format!("--rho must be a positive number, not {rho}"));
    }
    (rho < MIN_RHO).then(|| {
        format!(
            "--rho {} is below {MIN_RHO:e}: the noise would be thousands of persons per cell or more, publishing nothing; choose a rho of at least {MIN_RHO:e} (`safetally plan --rho 0.5` shows what a rho gives: noise scale and interval per table)",
            readable(rho, 4)
        )
    })
}

/// What `plan` says before its figures when `rho` is more than the year may spend at all:
/// the figures are still worth seeing (how much a larger budget would buy), but a release at
/// that rho would be refused.
pub fn over_cap_note(cfg: &DpConfig, rho: f64) -> Option<String> {
    (rho > cfg.year_rho_cap).then(|| {
        let rho = readable(rho, 4);
        format!(
            "Note: rho {rho} is more than the whole year's cap ({}): `protect --mode dp` would refuse to spend it. The figures below show what it would give.",
            cfg.year_rho_cap
        )
    })
}

/// Every table's share of `rho`, noise scale and 95% half-width.
pub fn plan_tables(tables: &Tables, cfg: &DpConfig, rho: f64) -> Result<Vec<TablePlan>, StageError> {
    let spec: Vec<(String, f64, f64)> = tables
        .tables
        .iter()
        .map(|t| (t.id().to_string(), cfg.weight(t.id()), sensitivity(t)))
        .collect();
    plan(rho, &spec).map_err(|e| ReleaseError::Plan(e).into())
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn extreme_numbers_print_in_scientific_notation_and_ordinary_ones_as_before() {
        assert_eq!(readable(1e300, 4), "1.000e300");
        assert_eq!(readable(1e-300, 4), "1.000e-300");
        assert_eq!(readable(0.5, 4), "0.5000");
        assert_eq!(readable(0.0, 2), "0.00");
        assert_eq!(readable(123.456, 1), "123.5");
    }
}
