//! `safetally demo`: the whole pipeline on the bundled sample, from submissions to a release,
//! with linkage quality measured against the sample's ground truth.

use std::path::PathBuf;

use anyhow::{Context, bail};

use super::protect::{Mode, ProtectArgs};
use safetally::key::LinkageKey;
use safetally::link::LinkParams;
use safetally::progress::Progress;
use safetally::schema::LinkageSpec;
use safetally::stage::Workdir;

use super::load_schema;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The bundled sample's submissions (found next to the sources when run from elsewhere).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Work directory for the demo's stages.
    #[arg(long, default_value = "demo-work")]
    pub work: PathBuf,
    /// Redo every stage even when its inputs are unchanged.
    #[arg(long)]
    pub force: bool,
}

fn bundled() -> Option<PathBuf> {
    let here = PathBuf::from("data-samples/submissions");
    let beside_sources = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    [here, beside_sources].into_iter().find(|p| p.is_dir())
}

pub fn run(a: Args, progress: Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let Some(input) = a.input.or_else(bundled) else {
        bail!(
            "cannot find the bundled sample (data-samples/submissions); run from the repository root or pass --input"
        );
    };
    // Taken before the folder is judged or emptied: another demo may be working in it.
    if a.work.is_dir() {
        Workdir::new(&a.work)?.lock()?;
    }
    if let Some(made_by) = made_by_another_version(&a.work) {
        // The demo's releases are of the synthetic sample: a new version's tables (another
        // schema) would be refused as a second exact release of the year, and its DP release
        // would spend the demo ledger's year again. Only a folder of synthetic data is emptied.
        if !only_synthetic(&schema, &a.work) {
            bail!(
                "{} was made by {made_by} and holds real organisations' records (or no ingest report to tell): the demo does not empty it; pass --work with another folder",
                a.work.display()
            );
        }
        say!(
            "{} was made by {made_by} from the synthetic sample; the demo starts afresh there.",
            a.work.display()
        );
        // Everything but the lock this process holds.
        for entry in std::fs::read_dir(&a.work).with_context(|| format!("reading {}", a.work.display()))? {
            let path = entry?.path();
            if path.file_name() == Some(std::ffi::OsStr::new(safetally::worklock::LOCK_FILE)) {
                continue;
            }
            let removed = if path.is_dir() && !path.is_symlink() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.with_context(|| format!("removing {}", path.display()))?;
        }
    }
    let work = Workdir::new(&a.work)?;
    work.lock()?;
    say!(
        "safetally demo: the synthetic sample in {} (fictional organisations, no real person; real members' files are refused).\n",
        input.display()
    );

    // The demo's key is derived from the synthetic sample (never stored or printed), so a
    // rerun skips unchanged stages and reuses its DP release instead of spending again. It is
    // made from the files' SHA-256, as it always was, so it does not change with the hash the
    // stage manifests use.
    let mut digest = <sha2::Sha256 as sha2::Digest>::new();
    for path in safetally::stage::list_files(&input)? {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let file = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        sha2::Digest::update(&mut digest, file.as_bytes());
    }
    let key = LinkageKey::for_synthetic_demo(&sha2::Digest::finalize(digest));
    let mut protect = ProtectArgs {
        mode: Mode::Exact,
        threshold: None,
        protection: None,
        suppress_zeros: false,
        protect_differences: false,
        rho: None,
        ledger: a.work.join("ledger"),
        // The demo's own ledger, in its own work folder of synthetic data.
        new_ledger: true,
        group_size: None,
    };
    let code = super::run::stages(
        &schema,
        &work,
        (&input, &safetally::ingest::IngestOptions::default()),
        &key,
        &protect,
        &progress,
        (a.force, false, true),
    )?;
    say!(
        "\n7. The same tables under differential privacy (the public release), budget in {}.",
        protect.ledger.display()
    );
    protect.mode = Mode::Dp;
    // The exact release has just started the ledger (its register): asking for a new one again
    // told a newcomer's first demo that the folder "already holds a ledger".
    protect.new_ledger = !protect.ledger.exists();
    let aggregate = work.stage_dir(safetally::tables::STAGE);
    let dp = progress.while_running("protect dp", || {
        super::protect::protect_with(&schema, &work, &aggregate, &protect, a.force)
    })?;
    super::protect::print_outcome(&dp);
    let rel = safetally::run::publish_stage(&schema, &work, &dp.dir, Some(&protect.ledger), a.force)
        .context("publication failed")?;
    super::publish::print_outcome(&rel);
    say!("\n8. The journalists' extract: a noised cross-tabulation and synthetic persons.");
    let extract = super::journalist::params(Some(protect.ledger.clone()), 1, None)?;
    let j = safetally::run::journalist_stage(&schema, &work, &dp.dir, &extract, a.force)
        .context("the journalists' extract failed")?;
    super::journalist::print_outcome(&j);

    let params = LinkParams::from_spec(&LinkageSpec::load(&schema)?);
    let pseudo_dir = work.stage_dir(safetally::pseudonymise::STAGE);
    let truth = input
        .parent()
        .map_or_else(|| input.join("../truth"), |p| p.join("truth"))
        .join("records.parquet");
    if truth.is_file() {
        let records = safetally::link::load(&schema, &pseudo_dir)?;
        let known = safetally::link::truth_for_records(&key, &truth, &records)?;
        let e = safetally::link::evaluate_stage(&records, &known, &params, &[]);
        say!("\nLinkage quality against the sample's ground truth (synthetic data only):");
        say!("{}", super::evaluate::row("exact keys only", &e.exact_only));
        say!("{}", super::evaluate::row("with the fuzzy step", &e.with_fuzzy));
        say!(
            "To measure with your own key and a threshold sweep: safetally keygen --out my.key; \
             safetally pseudonymise --key my.key --new-key --work {0}; safetally evaluate-linkage --truth {1} --key my.key --work {0} --sweep",
            a.work.display(),
            truth.display()
        );
    }
    say!("\nThe reports people read, one per release:");
    let exact = work.stage_dir(safetally::publish::STAGE);
    super::report::write(&schema, &exact, &safetally::report::default_path(&exact))?;
    super::report::write(&schema, &rel.dir, &safetally::report::default_path(&rel.dir))?;
    Ok(code)
}

/// A version other than this one that made a stage of the demo's work folder (by the stage
/// manifests' software and schema versions), if one did: a run that failed half-way leaves
/// older stages beside newer ones.
fn made_by_another_version(work: &std::path::Path) -> Option<String> {
    let schema_version = load_schema().ok()?.version;
    std::fs::read_dir(work).ok()?.flatten().find_map(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with('.') && name.ends_with(safetally::stage::MANIFEST)) {
            return None;
        }
        let m: safetally::stage::Manifest =
            serde_json::from_str(&std::fs::read_to_string(e.path()).ok()?).ok()?;
        (m.software_version != safetally::stage::SOFTWARE_VERSION || m.schema_version != schema_version)
            .then(|| format!("safetally {} (schema {})", m.software_version, m.schema_version))
    })
}

/// Whether the work folder's ingest report names the synthetic sample's organisations only.
fn only_synthetic(schema: &safetally::schema::Schema, work: &std::path::Path) -> bool {
    let path = work
        .join(safetally::ingest::STAGE)
        .join(safetally::run::REPORT_JSON);
    let Some(report) = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<safetally::ingest::IngestReport>(&t).ok())
    else {
        return false;
    };
    !report.orgs.is_empty()
        && report.orgs.keys().all(|o| {
            schema
                .member(o)
                .is_some_and(|m| m.kind == safetally::schema::MemberKind::Sample)
        })
}

#[cfg(test)]
mod tests {
    /// Real members' records given to the demo are refused after ingest, before any key is
    /// used or anything is published (an outside review ran two members' files through the
    /// demo to releases under its derived key and private ledger).
    #[test]
    fn real_members_files_are_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let input = tmp.path().join("in");
        std::fs::create_dir_all(&input).expect("mkdir");
        let sample = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions/SAMPLE01.csv"),
        )
        .expect("the bundled sample");
        std::fs::write(input.join("talita.csv"), sample.replace("SAMPLE01", "TALITA")).expect("write");
        let work = tmp.path().join("work");
        let args = super::Args {
            input: Some(input),
            work: work.clone(),
            force: false,
        };
        let e = super::run(args, safetally::progress::Progress::hidden()).expect_err("refused");
        let text = format!("{e:#}");
        assert!(
            text.contains("real member organisations (TALITA)") && text.contains("safetally run --key"),
            "{text}"
        );
        assert!(!work.join("02-pseudonymise").exists(), "nothing pseudonymised");
    }
}
