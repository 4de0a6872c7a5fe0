//! `safetally plan`: what each table would get under the configuration, before anything is
//! spent or any data is read: its share of rho, the noise scale and the 95% half-width.

use safetally::protect::{DpConfig, over_cap_note, plan_tables, readable};
use safetally::schema::MemberKind;
use safetally_dp::budget::epsilon_for;

use super::load_schema;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The rho a release would spend (default: release_rho in schemas/privacy.json).
    #[arg(long, allow_negative_numbers = true, value_parser = super::positive_rho)]
    pub rho: Option<f64>,
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let cfg = DpConfig::load_embedded()?;
    let rho = a.rho.unwrap_or(cfg.release_rho);
    if let Some(why) = safetally::protect::unusable_rho(rho) {
        anyhow::bail!(why);
    }
    let tables = safetally::tables::load_tables(&schema, &MemberKind::Member)?;
    let plan = plan_tables(&tables, &cfg, rho)?;
    say!(
        "A release at rho {} (epsilon {} at delta {:e}; the year's cap is rho {}). Nothing is spent and no data is read.\n",
        readable(rho, 4),
        readable(epsilon_for(rho, cfg.delta), 2),
        cfg.delta,
        cfg.year_rho_cap
    );
    if let Some(note) = over_cap_note(&cfg, rho) {
        say!("{note}\n");
    }
    say!(
        "{:<6} {:>6} {:>8} {:>11} {:>11} {:>12}",
        "table",
        "weight",
        "rho",
        "sensitivity",
        "noise scale",
        "95% +/-"
    );
    for (t, p) in tables.tables.iter().zip(&plan) {
        say!(
            "{:<6} {:>6.2} {:>8} {:>11.3} {:>11} {:>12}   {}",
            p.id,
            p.weight,
            readable(p.rho, 4),
            p.sensitivity,
            readable(p.scale, 2),
            readable(p.half_width_95, 1),
            t.spec.title.en
        );
    }
    say!(
        "\nA cell's published value lies within +/- the last column of the true count in about 95 of 100 releases; totals of k cells within sqrt(k) times that. Plan another rho with `plan --rho R` and spend it with `protect --mode dp --rho R`; the tables' weights and the default rho are in schemas/privacy.json, which is built into the binary (edit it, then `cargo build --release`)."
    );
    Ok(0)
}
