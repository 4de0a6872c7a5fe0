//! The totals a DP release publishes are unbiased: a table of many empty cells (every ISO
//! country of birth, all but three empty) keeps its total near the truth on average over many
//! releases, where cells clamped at zero and summed would add 0.4 of the noise scale per
//! empty cell.

use safetally::protect::{measured_cells, release_tables};
use safetally::tables::aggregate::count_table;
use safetally::tables::derive::Deriver;
use safetally_dp::Gaussian;
use safetally_tests::{one_table, persons, schema};

#[test]
fn a_population_total_over_many_empty_cells_is_unbiased() {
    let t = one_table("T02", None);
    let table = &t.tables[0];
    let mut rows = vec![("direct", "SE"); 60];
    rows.extend(vec![("direct", "RO"); 30]);
    rows.extend(vec![("indirect", "NG"); 10]);
    let p = persons(&rows, "country_of_birth");
    let s = schema();
    let deriver = Deriver::new(&s);
    let counts = count_table(&deriver, table, &p, false).expect("counts");
    let truth: Vec<i64> = measured_cells(table)
        .iter()
        .map(|&i| counts.values[i] as i64)
        .collect();
    let cells = truth.len();
    assert!(cells > 200, "every country is a cell ({cells})");
    let total_cell = table.cell_index(&Default::default()).expect("grand total");
    let scale = 2.0;
    let g = Gaussian::new(scale).expect("gaussian");
    let releases = 200;
    let mean = (0..releases)
        .map(|_| {
            let noisy = g.draw(&truth).expect("draw");
            let out = release_tables(&t, &deriver, &[noisy], &[scale], 5).remove(0);
            out.values[total_cell].expect("totals are published") as f64
        })
        .sum::<f64>()
        / f64::from(releases);
    // The total's own noise: scale * sqrt(cells), so the mean's standard error is that over
    // sqrt(releases) (2.2 here); summing clamped cells would be about 0.4 * 2 * 250 = 200 over.
    let se = scale * (cells as f64).sqrt() / f64::from(releases).sqrt();
    eprintln!("true total 100, mean published {mean:.1} over {releases} releases (standard error {se:.1})");
    assert!((mean - 100.0).abs() < 4.0 * se, "mean published total {mean}");
}
