//! `sigv4 bolt-token`: the password for Neptune's openCypher-over-Bolt IAM
//! auth, for a neo4j driver or `cypher-shell -u username -p "$(sigv4
//! bolt-token https://host:8182)"`.

use clap::Args;
use sigv4::neptune::{Endpoint, NeptuneService};
use sigv4::{Region, SigningTime};

use crate::common::{self, CliError};

/// The options of `sigv4 bolt-token`.
#[derive(Debug, Args)]
#[command(
    after_help = "Prints the Bolt password JSON (the username is `username`), signed for\n\
                  neptune-db, or neptune-graph with --neptune-analytics. Credentials as for `sign`.\n\
                  A token is accepted for five minutes, or until the credentials expire."
)]
pub struct BoltTokenArgs {
    /// The cluster, https://host:8182 (bolt:// and a bare host work too).
    #[arg(value_name = "URL")]
    url: String,

    /// The region [default: $SERVICE_REGION, $AWS_REGION or $AWS_DEFAULT_REGION].
    #[arg(long, value_name = "REGION")]
    region: Option<Region>,

    /// The signing time, as 2015-08-30T12:36:00Z or 20150830T123600Z [default: now].
    #[arg(long, value_name = "TIME", value_parser = SigningTime::parse)]
    time: Option<SigningTime>,

    /// Sign for Neptune Analytics (neptune-graph) instead of Neptune Database.
    #[arg(long)]
    neptune_analytics: bool,

    /// Take the credentials from this profile of the shared config files.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
}

/// Runs `sigv4 bolt-token`.
///
/// # Errors
///
/// A bad URL (usage), missing region or credentials, or a signing failure.
pub fn run(args: &BoltTokenArgs) -> Result<(), CliError> {
    let region = common::region(args.region.as_ref())?;
    let service = if args.neptune_analytics {
        NeptuneService::Analytics
    } else {
        NeptuneService::Database
    };
    let url = match args.url.split_once("://") {
        Some(("bolt", rest)) => format!("https://{rest}"),
        Some(_) => args.url.clone(),
        None => format!("https://{}", args.url),
    };
    let endpoint = Endpoint::from_url(&url, region.as_str(), service)
        .map_err(|e| CliError::usage(format!("{}: {e}", args.url)))?;
    let credentials = common::credentials_blocking(args.profile.as_deref())?;
    let time = args.time.unwrap_or_else(SigningTime::now);
    let token = endpoint
        .bolt_token(&credentials, time)
        .map_err(|e| CliError::failure(format!("cannot sign the Bolt token: {e}")))?;
    common::write_stdout(format!("{}\n", token.password()).as_bytes())
}
