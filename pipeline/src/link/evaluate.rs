//! Linkage quality against a generator's ground truth: pairwise precision, recall and F1, and
//! cluster figures (true persons recovered exactly, split, merged). Needs the key, because the
//! truth names records by their plain record ids and the link output only by keyed ones.

use std::collections::HashMap;
use std::hash::Hash;
use std::path::Path;

use super::{LinkParams, Records, link_records};
use crate::error::{LinkageError, StageError};
use crate::key::LinkageKey;
use crate::parquet_io::read;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Quality {
    pub records: u64,
    pub true_pairs: u64,
    pub predicted_pairs: u64,
    pub correct_pairs: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub true_persons: u64,
    /// Share of true persons whose records form exactly one predicted person, alone.
    pub recovered_exactly: f64,
    /// True persons whose records ended up in two or more predicted persons.
    pub persons_split: u64,
    /// Predicted persons that hold records of two or more true persons.
    pub persons_merged: u64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Compares a predicted clustering with the true one, record by record.
pub fn quality<P: Hash + Eq + Clone, T: Hash + Eq + Clone>(pred: &[P], truth: &[T]) -> Quality {
    let mut cell: HashMap<(P, T), u64> = HashMap::new();
    let mut by_pred: HashMap<P, u64> = HashMap::new();
    let mut by_true: HashMap<T, u64> = HashMap::new();
    for (p, t) in pred.iter().zip(truth) {
        *cell.entry((p.clone(), t.clone())).or_default() += 1;
        *by_pred.entry(p.clone()).or_default() += 1;
        *by_true.entry(t.clone()).or_default() += 1;
    }
    let correct: u64 = cell.values().map(|&n| pairs(n)).sum();
    let predicted: u64 = by_pred.values().map(|&n| pairs(n)).sum();
    let true_pairs: u64 = by_true.values().map(|&n| pairs(n)).sum();
    let precision = if predicted == 0 {
        1.0
    } else {
        correct as f64 / predicted as f64
    };
    let recall = if true_pairs == 0 {
        1.0
    } else {
        correct as f64 / true_pairs as f64
    };
    let mut preds_of_true: HashMap<&T, u64> = HashMap::new();
    let mut trues_of_pred: HashMap<&P, u64> = HashMap::new();
    for (p, t) in cell.keys() {
        *preds_of_true.entry(t).or_default() += 1;
        *trues_of_pred.entry(p).or_default() += 1;
    }
    let exact = cell
        .iter()
        .filter(|((p, t), n)| by_true[t] == **n && by_pred[p] == **n)
        .count() as f64;
    Quality {
        records: pred.len() as u64,
        true_pairs,
        predicted_pairs: predicted,
        correct_pairs: correct,
        precision,
        recall,
        f1: if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        },
        true_persons: by_true.len() as u64,
        recovered_exactly: exact / by_true.len().max(1) as f64,
        persons_split: preds_of_true.values().filter(|&&n| n > 1).count() as u64,
        persons_merged: trues_of_pred.values().filter(|&&n| n > 1).count() as u64,
    }
}

/// The true person of each loaded record, found by hashing the truth's record ids with the key.
/// Refused unless the truth names every record and no more than the sample can have had:
/// figures over no record would read as perfect linkage, over some as plausible nonsense.
pub fn truth_for_records(
    key: &LinkageKey,
    truth: &Path,
    r: &Records,
) -> Result<Vec<Option<String>>, StageError> {
    // The sample's truth folder is what a user names first; its records file is the truth.
    let in_folder = truth.join("records.parquet");
    let truth = if truth.is_dir() && in_folder.is_file() {
        in_folder.as_path()
    } else if truth.is_dir() {
        return Err(LinkageError::TruthFolder {
            path: truth.to_path_buf(),
        }
        .into());
    } else {
        truth
    };
    let df = read(truth)?;
    let err = |e: polars::error::PolarsError| StageError::ParquetRead {
        path: truth.to_path_buf(),
        message: format!(
            "{e}; not the generator's ground truth (org_id, record_id, report_year, person_id): pass SAMPLE/truth/records.parquet"
        ),
    };
    let (org, rid, person) = (
        df.column("org_id").and_then(|c| c.str()).map_err(err)?,
        df.column("record_id").and_then(|c| c.str()).map_err(err)?,
        df.column("person_id").and_then(|c| c.str()).map_err(err)?,
    );
    let year = df.column("report_year").and_then(|c| c.i64()).map_err(err)?;
    let hasher = key.purpose("record");
    let mut by_key: HashMap<(String, String), String> = HashMap::with_capacity(df.height());
    for i in 0..df.height() {
        let (o, id, y) = (
            org.get(i).unwrap_or(""),
            rid.get(i).unwrap_or(""),
            year.get(i).unwrap_or(0).to_string(),
        );
        let k = hasher.hex128(&[o.as_bytes(), y.as_bytes(), id.as_bytes()]);
        by_key.insert((o.to_string(), k), person.get(i).unwrap_or("").to_string());
    }
    let found: Vec<Option<String>> = (0..r.len())
        .map(|i| {
            by_key
                .get(&(r.orgs[r.org[i] as usize].clone(), r.record_key_hex(i)))
                .cloned()
        })
        .collect();
    if !r.is_empty() && found.iter().all(Option::is_none) {
        // Which key each side is, when they differ: the likelier cause.
        let keys = (!r.fingerprint.is_empty() && r.fingerprint != key.fingerprint())
            .then(|| (r.fingerprint.clone(), key.fingerprint()));
        return Err(LinkageError::TruthOfNone {
            truth: truth.to_path_buf(),
            records: r.len(),
            keys,
        }
        .into());
    }
    let missing = found.iter().filter(|f| f.is_none()).count();
    if missing > 0 {
        // Another sample's truth shares most record ids: figures over the records it happens
        // to name would look plausible and mean nothing.
        return Err(LinkageError::TruthOfOther {
            truth: truth.to_path_buf(),
            missing,
            records: r.len(),
        }
        .into());
    }
    refuse_a_larger_sample(&df, r, &found, truth)?;
    Ok(found)
}

/// A larger sample numbers its records 1, 2, 3... too, so its truth names every record of a
/// smaller one and the figures would be of strangers. The right truth has no more records of
/// these organisations than the work holds, plus those an injected error may have sent to the
/// quarantine.
fn refuse_a_larger_sample(
    df: &polars::prelude::DataFrame,
    r: &Records,
    found: &[Option<String>],
    truth: &Path,
) -> Result<(), StageError> {
    let org = df
        .column("org_id")
        .and_then(|c| c.str())
        .map_err(|e| StageError::ParquetRead {
            path: truth.to_path_buf(),
            message: e.to_string(),
        })?;
    let injected = df
        .column("injected_error")
        .ok()
        .and_then(|c| c.str().ok().cloned());
    let ours: std::collections::HashSet<&str> = r.orgs.iter().map(String::as_str).collect();
    let (mut rows, mut may_be_quarantined) = (0usize, 0usize);
    for i in 0..df.height() {
        if org.get(i).is_some_and(|o| ours.contains(o)) {
            rows += 1;
            may_be_quarantined += usize::from(injected.as_ref().is_some_and(|c| c.get(i).is_some()));
        }
    }
    let matched = found.iter().filter(|f| f.is_some()).count();
    if rows > matched + may_be_quarantined {
        return Err(LinkageError::TruthOfLarger {
            truth: truth.to_path_buf(),
            rows,
            matched,
            may_be_quarantined,
        }
        .into());
    }
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Evaluation {
    pub exact_only: Quality,
    pub with_fuzzy: Quality,
    /// Records the truth does not know (should be none).
    pub records_without_truth: u64,
    /// (threshold shift, quality) when a sweep was asked for.
    pub sweep: Vec<(f64, Quality)>,
    /// (match key, quality of the exact step with that key alone) when a sweep was asked for.
    pub per_key: Vec<(String, Quality)>,
}

/// Links the loaded records with `params` (exact only, then with the fuzzy step) and, if
/// `sweep` is given, with every threshold shifted by each of its offsets.
pub fn evaluate_stage(
    r: &Records,
    truth: &[Option<String>],
    params: &LinkParams,
    sweep: &[f64],
) -> Evaluation {
    evaluate_stage_with(r, truth, params, sweep, &|| ())
}

/// How many times `evaluate_stage_with` links the records: once, and with a sweep once per
/// offset and once per match key alone.
pub fn evaluation_runs(sweep: &[f64]) -> u64 {
    let per_key = if sweep.is_empty() {
        0
    } else {
        crate::pseudonymise::MATCH_KEYS.len()
    };
    (1 + sweep.len() + per_key) as u64
}

/// `evaluate_stage`, calling `linked` after each of its `evaluation_runs` (a sweep links
/// the records 25 times: a progress bar shows it is not stuck).
pub fn evaluate_stage_with(
    r: &Records,
    truth: &[Option<String>],
    params: &LinkParams,
    sweep: &[f64],
    linked: &dyn Fn(),
) -> Evaluation {
    let known: Vec<usize> = (0..r.len()).filter(|&i| truth[i].is_some()).collect();
    let t: Vec<&str> = known.iter().map(|&i| truth[i].as_deref().unwrap_or("")).collect();
    let run = |p: &LinkParams| {
        let l = link_records(r, p);
        linked();
        (
            quality(&known.iter().map(|&i| l.exact_roots[i]).collect::<Vec<_>>(), &t),
            quality(&known.iter().map(|&i| l.roots[i]).collect::<Vec<_>>(), &t),
        )
    };
    let (exact_only, with_fuzzy) = run(params);
    let sweep: Vec<(f64, Quality)> = sweep
        .iter()
        .map(|&d| {
            let mut p = params.clone();
            for v in [
                &mut p.thresholds.full_date,
                &mut p.thresholds.swapped_date,
                &mut p.thresholds.partial_date,
                &mut p.thresholds.no_date,
            ] {
                *v = (*v + d).clamp(0.0, 1.0);
            }
            (d, run(&p).1)
        })
        .collect();
    let per_key = if sweep.is_empty() {
        Vec::new()
    } else {
        crate::pseudonymise::MATCH_KEYS
            .iter()
            .map(|k| {
                let p = LinkParams {
                    fuzzy: false,
                    match_keys: vec![(*k).to_string()],
                    ..params.clone()
                };
                ((*k).to_string(), run(&p).0)
            })
            .collect()
    };
    Evaluation {
        exact_only,
        with_fuzzy,
        records_without_truth: (r.len() - known.len()) as u64,
        sweep,
        per_key,
    }
}

/// The quality of the persons a link stage wrote (its record map), against the truth of the
/// loaded records; None when the map does not hold every one of them (it was made from other
/// files). `evaluate-linkage` links the records again with the spec's parameters for its
/// figures, and a reader took them for the output in place, made perhaps with `--exact-only`.
pub fn quality_of_record_map(
    r: &Records,
    truth: &[Option<String>],
    map: &Path,
) -> Result<Option<Quality>, StageError> {
    let df = crate::parquet_io::read_columns(map, &["record_key", "person_id"])?;
    let err = |e: polars::error::PolarsError| StageError::ParquetRead {
        path: map.to_path_buf(),
        message: format!("{e}; not a record map the link stage wrote"),
    };
    let (keys, persons) = (
        df.column("record_key").and_then(|c| c.str()).map_err(err)?,
        df.column("person_id").and_then(|c| c.str()).map_err(err)?,
    );
    let person_of: HashMap<&str, &str> = keys
        .iter()
        .zip(persons.iter())
        .filter_map(|(k, p)| Some((k?, p?)))
        .collect();
    let mut pred = Vec::new();
    let mut t = Vec::new();
    for (i, key) in r.record_key.iter().enumerate() {
        let Some(truth) = truth[i].as_deref() else {
            continue;
        };
        match key.and_then(|k| person_of.get(k)) {
            Some(p) => {
                pred.push(*p);
                t.push(truth);
            }
            None => return Ok(None),
        }
    }
    Ok(Some(quality(&pred, &t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_and_cluster_figures() {
        // Truth: {0,1,2} {3,4} {5}. Prediction splits the first and merges 5 into the second.
        let truth = [1, 1, 1, 2, 2, 3];
        let pred = [10, 10, 11, 20, 20, 20];
        let q = quality(&pred, &truth);
        assert_eq!((q.true_pairs, q.predicted_pairs, q.correct_pairs), (4, 4, 2));
        assert!((q.precision - 0.5).abs() < 1e-12 && (q.recall - 0.5).abs() < 1e-12);
        assert_eq!((q.persons_split, q.persons_merged), (1, 1));
        assert!((q.recovered_exactly - 0.0).abs() < 1e-12);
        let perfect = quality(&truth, &truth);
        assert_eq!(
            (perfect.precision, perfect.recall, perfect.recovered_exactly),
            (1.0, 1.0, 1.0)
        );
    }
}
