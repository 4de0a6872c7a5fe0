//! Refusals of the work folder, or of a folder a stage is given to read, as it stands.

use std::path::{Path, PathBuf};

/// The work folder, or a stage's input folder, is not in a state to work on.
#[derive(Debug, thiserror::Error)]
pub enum WorkFolderError {
    /// `--work` names a file.
    #[error(
        "{path}: the work directory must be a folder, and this is a file; pass --work with a folder (it is made if missing)"
    )]
    IsAFile { path: PathBuf },
    /// A stage's folder holds files the stage did not write, and is handed on whole.
    #[error(
        "{dir} holds {} file(s) the {stage} stage did not write ({}): the folder is handed on whole, so it must hold the release alone. Move them out of it and run again (or pass --force to write the release again without them)",
        .files.len(),
        .files.join(", ")
    )]
    ForeignFiles {
        dir: PathBuf,
        stage: String,
        files: Vec<String>,
    },
    /// A stage's folder (not handed on) holds files the stage did not write, which writing
    /// the folder anew would delete.
    #[error(
        "{dir} holds {} file(s) the {stage} stage did not write ({}), and the stage replaces its folder whole, so they would be deleted. Move them out of it and run again (files received from elsewhere, such as organisations' pseudonymised files, go in a folder of their own, passed to the next stage with --input), or pass --force to delete them",
        .files.len(),
        .files.join(", ")
    )]
    ForeignFilesInStage {
        dir: PathBuf,
        stage: String,
        files: Vec<String>,
    },
    /// The work folder cannot be written in.
    #[error(
        "cannot write in the work folder {root} ({source}): pass --work a folder you can write in, or make this one writable (`chmod u+w {root}`)"
    )]
    NotWritable {
        root: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// What a killed or failed run left in the work folder cannot be removed.
    #[error(
        "cannot remove {path}, which an earlier run left when it was stopped ({source}); remove it by hand (`chmod -R u+w {path} && rm -rf {path}`), then run again"
    )]
    Leftover {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the work folder's lock; `pid` is its process id, when it wrote one.
    #[error(
        "{root}: {} is working in this work folder; two at once would replace each other's stages. Wait for it to finish and run again (the lock ends with that process, even if it is stopped)",
        holder(.pid)
    )]
    Locked { root: PathBuf, pid: Option<String> },
    /// A stage's input names a file, not the folder that holds it.
    #[error("{path}: this is a file; pass the folder that holds it (every file in the folder is read)")]
    InputIsAFile { path: PathBuf },
    /// A stage's input folder is missing, or not a folder; `advice` says what makes it.
    #[error("{path}: {}; {advice}", if *.exists { "not a folder" } else { "no such folder" })]
    NoInput {
        path: PathBuf,
        exists: bool,
        advice: String,
    },
    /// A stage's input folder holds nothing the stage can read; `problem` says what it lacks.
    #[error("{path}: {problem}")]
    NothingToRead { path: PathBuf, problem: &'static str },
    /// The stage folder read was made from an earlier version of its own upstream stage.
    #[error(
        "{stage_dir} was made from an earlier {upstream} (its files changed since), so the stages after it would count the older records: run `safetally {command} --work {root}` again, then each stage after it (or `safetally run` for all of them)"
    )]
    Stale {
        stage_dir: PathBuf,
        upstream: String,
        /// The command that writes `stage_dir` again, with the work folder in it.
        command: String,
        root: PathBuf,
    },
    /// The stage folder read was made from a folder of received files (`link --input`) whose
    /// files changed since (`changes` says which, by name: gone, added, of another size).
    #[error(
        "{stage_dir} was made from {folder} as it was then, and its files changed since ({changes}), so the stages after it would count the files that were there: run `safetally {command} --work {root} --input {folder}` again, then each stage after it"
    )]
    ReadFolderChanged {
        stage_dir: PathBuf,
        folder: PathBuf,
        changes: String,
        /// The command that writes `stage_dir` again, with the work folder in it.
        command: String,
        root: PathBuf,
    },
    /// A file a stage of this work folder wrote changed since (its manifest has its hash);
    /// `others`: how many more of the folder's files changed too.
    #[error(
        "{file} changed since the {stage} stage wrote it{} (edited by hand, damaged, or another file put in its place), so what is counted from it would go unchecked.{} Files received from elsewhere (organisations' pseudonymised files) go in a folder of their own, passed with --input",
        others_too(*.others),
        rerun(.command, .root)
    )]
    InputChanged {
        file: PathBuf,
        stage: String,
        others: usize,
        /// The command that writes the file again, with the work folder in it, if known.
        command: Option<String>,
        root: PathBuf,
    },
    /// The folder of submissions is the work folder itself.
    #[error(
        "{input}: the work folder is the folder of submissions, so the stages' own files would be read as submissions next time; pass --work with another folder, such as {}",
        .input.join("work").display()
    )]
    WorkIsInput { input: PathBuf },
    /// The work folder's records were pseudonymised under another key than `--key`.
    #[error(
        "{work}: its records were pseudonymised under key {before}, and --key is key {now}. Another key links the same submissions afresh: persons and counts may change, and a new DP release would spend the year's budget again. If --key names the wrong file, pass the key of fingerprint {before} (`safetally keygen` printed it); if the platform replaced its key on purpose, add --new-key"
    )]
    OtherKey {
        work: PathBuf,
        before: String,
        now: String,
    },
}

fn holder(pid: &Option<String>) -> String {
    match pid {
        None => "another safetally process".to_string(),
        Some(p) => format!("another safetally process (process id {p})"),
    }
}

fn others_too(n: usize) -> String {
    match n {
        0 => String::new(),
        n => format!(", and so did {n} other file(s) there"),
    }
}

fn rerun(command: &Option<String>, root: &Path) -> String {
    command.as_ref().map_or_else(String::new, |c| {
        format!(
            " Run `safetally {c} --work {}` again to write it anew, then the stages after it.",
            root.display()
        )
    })
}
