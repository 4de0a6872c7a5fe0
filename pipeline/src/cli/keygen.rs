//! `safetally keygen`: make the linkage secret once, for the key custodian.

use std::path::PathBuf;

use safetally::key::LinkageKey;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the key (created with owner-only permissions; never overwritten).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let key = LinkageKey::generate()?;
    key.save(&a.out)?;
    say!(
        "Wrote a new 256-bit linkage key to {} (readable by you only). Its fingerprint is {}.\n\
         Hand the file to every member organisation out of band (never by e-mail in clear); the platform never needs it. \
         Every pseudonymised file carries the fingerprint, so files made under another key are refused at linkage.",
        a.out.display(),
        key.fingerprint()
    );
    Ok(0)
}
