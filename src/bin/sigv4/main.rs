//! `sigv4`: sign raw HTTP requests with AWS Signature Version 4 from the
//! command line.
//!
//! This file only parses the command line and dispatches to a subcommand;
//! each subcommand lives in its own module, and what they share (credentials
//! and region from the environment, input and output, error reporting) is in
//! [`common`].

mod common;
mod sign;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Sign HTTP requests with AWS Signature Version 4.
///
/// Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
/// AWS_SESSION_TOKEN.
#[derive(Debug, Parser)]
#[command(
    name = "sigv4",
    version,
    propagate_version = true,
    arg_required_else_help = true,
    after_help = "Exit status: 0 on success, 1 when the input cannot be read or signed, 2 for a usage error."
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
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return common::report_clap_error(&error, &help_command()),
    };
    let outcome = match &cli.command {
        Command::Sign(args) => sign::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => common::report(&error),
    }
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
