//! `sigv4`: sign raw HTTP requests with AWS Signature Version 4 from the
//! command line, verify signed ones, and send signed requests.
//!
//! This file only parses the command line and dispatches to a subcommand;
//! each subcommand lives in its own module, and what they share (credentials
//! from the environment or the default chain, the region, input and output,
//! error reporting) is in [`common`].

mod common;
mod curl;
mod diff;
mod gremlin;
mod neptune;
mod proxy;
mod sign;
mod verify;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Sign, verify and send HTTP requests with AWS Signature Version 4.
///
/// Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
/// AWS_SESSION_TOKEN, else from the default chain (profile, web identity,
/// container, instance metadata).
#[derive(Debug, Parser)]
#[command(
    name = "sigv4",
    version,
    propagate_version = true,
    arg_required_else_help = true,
    after_help = "Exit status: 0 on success, 1 when the input cannot be read, signed, sent or verified, 2 for a usage error."
)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Sign a raw HTTP/1.1 request and print the signed request.
    Sign(sign::SignArgs),
    /// Verify a signed raw HTTP/1.1 request, as a server would.
    Verify(verify::VerifyArgs),
    /// Sign a request and send it, or print a presigned URL (like awscurl).
    Curl(curl::CurlArgs),
    /// Show where a request's canonical request and a server's (from its
    /// SignatureDoesNotMatch answer) differ, with a hint at the cause.
    Diff(diff::DiffArgs),
    /// Print the Bolt auth password for Neptune's openCypher over Bolt.
    BoltToken(neptune::BoltTokenArgs),
    /// Send a Gremlin query over a signed WebSocket and print the results.
    Gremlin(gremlin::GremlinArgs),
    /// Run a local proxy that signs every request it forwards to an upstream.
    Proxy(proxy::ProxyArgs),
}

fn main() -> ExitCode {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let (mut cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return common::report_clap_error(&error, &help_command()),
    };
    // clap keeps -d and --data-binary apart; curl joins them in order.
    if let (Command::Curl(args), Some(curl)) =
        (&mut cli.command, matches.subcommand_matches("curl"))
    {
        args.data_order = data_order(curl);
    }
    let outcome = match &cli.command {
        Command::Sign(args) => sign::run(args).map(|()| ExitCode::SUCCESS),
        Command::Verify(args) => verify::run(args),
        Command::Curl(args) => curl::run(args),
        Command::Diff(args) => diff::run(args),
        Command::BoltToken(args) => neptune::run(args).map(|()| ExitCode::SUCCESS),
        Command::Gremlin(args) => gremlin::run(args).map(|()| ExitCode::SUCCESS),
        Command::Proxy(args) => proxy::run(args).map(|()| ExitCode::SUCCESS),
    };
    outcome.unwrap_or_else(|error| common::report(&error))
}

/// `sigv4 sign` when a known subcommand was named, else `sigv4`: whose
/// `--help` an error message should point to. (clap's errors do not always
/// carry the subcommand, so it is read from the arguments.)
fn help_command() -> String {
    let named = std::env::args_os().nth(1);
    match named.as_ref().and_then(|arg| arg.to_str()) {
        Some(name) if Cli::command().find_subcommand(name).is_some() => format!("sigv4 {name}"),
        _ => "sigv4".to_owned(),
    }
}

/// The kinds of `curl`'s data options in command-line order.
fn data_order(matches: &clap::ArgMatches) -> Vec<curl::DataKind> {
    let indices = |id: &str| -> Vec<usize> {
        matches
            .indices_of(id)
            .map(Iterator::collect)
            .unwrap_or_default()
    };
    let mut order: Vec<(usize, curl::DataKind)> = indices("data")
        .into_iter()
        .map(|i| (i, curl::DataKind::Data))
        .chain(
            indices("data_binary")
                .into_iter()
                .map(|i| (i, curl::DataKind::Binary)),
        )
        .collect();
    order.sort_by_key(|(i, _)| *i);
    order.into_iter().map(|(_, kind)| kind).collect()
}
