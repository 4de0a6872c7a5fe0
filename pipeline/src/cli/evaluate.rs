//! `safetally evaluate-linkage`: linkage quality against a synthetic sample's ground truth.

use std::path::PathBuf;

use anyhow::Context;
use safetally::key::LinkageKey;
use safetally::link::{LinkParams, Quality, evaluate_stage_with, evaluation_runs, load, truth_for_records};
use safetally::progress::Progress;
use safetally::schema::LinkageSpec;
use safetally::stage::Workdir;

use super::load_schema;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The generator's truth/records.parquet (or its truth folder).
    #[arg(long)]
    pub truth: PathBuf,
    /// The key the sample was pseudonymised with (to find the truth's records).
    #[arg(long)]
    pub key: PathBuf,
    /// Work directory holding the pseudonymise stage (and the link stage, whose persons are
    /// scored too).
    #[arg(long, default_value = "work")]
    pub work: PathBuf,
    /// The folder of pseudonymised files to link and score, if not WORK/02-pseudonymise (files
    /// received from the organisations, as `link --input` takes them).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Also re-link with every threshold shifted by -0.10 to +0.10 and print the table.
    #[arg(long)]
    pub sweep: bool,
    /// Write the figures as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

pub fn row(name: &str, q: &Quality) -> String {
    // Undefined without pairs: printed as 1.0000 beside the sentence that said so.
    let figure = |v: f64, defined: bool| {
        if defined {
            format!("{v:.4}")
        } else {
            "n/a   ".to_string()
        }
    };
    let (has_true, has_predicted) = (q.true_pairs > 0, q.predicted_pairs > 0);
    format!(
        "{name:<22} precision {}  recall {}  F1 {}  | persons recovered exactly {:.1}%, split {}, merged {}",
        figure(q.precision, has_predicted),
        figure(q.recall, has_true),
        figure(q.f1, has_true && has_predicted),
        100.0 * q.recovered_exactly,
        q.persons_split,
        q.persons_merged
    )
}

pub fn run(a: Args, progress: Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let spec = LinkageSpec::load(&schema)?;
    let key = LinkageKey::load(&a.key)?;
    let work = Workdir::new(&a.work)?;
    let input = a
        .input
        .clone()
        .unwrap_or_else(|| work.stage_dir(safetally::pseudonymise::STAGE));
    let records = load(&schema, &input).with_context(|| {
        format!(
            "cannot read the pseudonymised records of {}: check --work or --input (pseudonymise writes them to WORK/02-pseudonymise)",
            input.display()
        )
    })?;
    let truth = truth_for_records(&key, &a.truth, &records)?;
    let offsets: Vec<f64> = if a.sweep {
        (-10..=10).map(|k| f64::from(k) / 100.0).collect()
    } else {
        vec![]
    };
    let bar = progress.bar(evaluation_runs(&offsets), "linking");
    let e = evaluate_stage_with(&records, &truth, &LinkParams::from_spec(&spec), &offsets, &|| {
        bar.inc(1)
    });
    bar.finish_and_clear();
    say!(
        "Linkage quality on {} records of {} true persons ({} true pairs):",
        e.with_fuzzy.records,
        e.with_fuzzy.true_persons,
        e.with_fuzzy.true_pairs
    );
    if e.with_fuzzy.true_pairs == 0 {
        say!(
            "No true person has two records here, so pairwise precision and recall are not defined; the person figures below still are."
        );
    }
    say!("Linked again here with the linkage spec's parameters (schemas/linkage.json):");
    say!("{}", row("exact keys only", &e.exact_only));
    say!("{}", row("with the fuzzy step", &e.with_fuzzy));
    let map = work
        .stage_dir(safetally::link::STAGE)
        .join(safetally::link::RECORD_MAP);
    if map.is_file() {
        match safetally::link::quality_of_record_map(&records, &truth, &map)? {
            Some(q) => {
                say!("The persons the link stage wrote ({}):", map.display());
                say!("{}", row("link output in place", &q));
            }
            None => say!(
                "{} was made from other records than these (not every record is in it), so it is not scored: run link again",
                map.display()
            ),
        }
    }
    for (k, q) in &e.per_key {
        say!("{}", row(&format!("only {k}"), q));
    }
    for (d, q) in &e.sweep {
        say!("{}", row(&format!("thresholds {d:+.2}"), q));
    }
    if let Some(p) = a.json {
        std::fs::write(&p, serde_json::to_string_pretty(&e)?)
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without pairs the figures are "n/a", not 1.0000 beside the sentence that says they are
    /// not defined; with pairs they are printed.
    #[test]
    fn figures_without_pairs_are_not_printed_as_perfect() {
        let none = safetally::link::quality(&[1, 2, 3], &[1, 2, 3]);
        let text = row("exact keys only", &none);
        assert!(
            text.contains("precision n/a") && text.contains("recall n/a"),
            "{text}"
        );
        let some = safetally::link::quality(&[1, 1, 2], &[1, 1, 2]);
        let text = row("exact keys only", &some);
        assert!(text.contains("precision 1.0000  recall 1.0000"), "{text}");
    }
}
