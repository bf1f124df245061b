//! Requests turned into the CLI's own arguments, parsed by clap: the API answers with exactly
//! the rules, defaults and validation of `infercat profiles list` and `manifests create`.

use super::api_error::{ApiError, ApiResult};
use crate::catalog::Catalog;
use crate::cli::{
    Cli, Command, ManifestsAction, ManifestsCreateArgs, ProfilesAction, ProfilesListArgs,
};
use clap::Parser;
use pipeline::pricing::PricingModel;

fn parse(words: Vec<String>) -> ApiResult<Command> {
    Cli::try_parse_from(words)
        .map(|cli| cli.command)
        .map_err(|e| {
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            ApiError::invalid(first.to_string())
        })
}

/// `infercat <verb...> <flags>` with the served catalog's analysis settings, parsed.
fn parse_command(verb: [&str; 2], flags: &[String], cat: &Catalog) -> ApiResult<Command> {
    let mut words = vec!["infercat".to_string(), verb[0].into(), verb[1].into()];
    words.extend(flags.iter().cloned());
    words.extend(analysis_flags(cat));
    parse(words)
}

/// `infercat manifests create <flags>` exactly as the command line would parse them: nothing of
/// the served catalog's settings is added, so `--percentile` and `--expected-qps` have the CLI's
/// defaults when the flags leave them out (the site's page shows the command it asks for).
pub fn manifests_create_as_typed(flags: &[String]) -> ApiResult<ManifestsCreateArgs> {
    let mut words = vec!["infercat".to_string(), "manifests".into(), "create".into()];
    words.extend(flags.iter().cloned());
    create_args(parse(words)?)
}

/// The arguments of a parsed `manifests create`.
fn create_args(command: Command) -> ApiResult<ManifestsCreateArgs> {
    match command {
        Command::Manifests {
            action: ManifestsAction::Create(args),
        } => Ok(*args),
        _ => Err(ApiError::internal(
            "manifests create did not parse as itself",
        )),
    }
}

/// The served catalog's analysis settings as flags, so a parsed command describes its
/// numbers (`--percentile`, `--expected-qps`) the way the catalog computed them.
fn analysis_flags(cat: &Catalog) -> Vec<String> {
    let mut flags = vec![format!("--percentile={}", cat.cfg.percentile)];
    if let Some(q) = cat.cfg.expected_qps {
        flags.push(format!("--expected-qps={q}"));
    }
    flags
}

/// `infercat profiles list <flags>` as parsed arguments.
pub fn profiles_list(flags: &[String], cat: &Catalog) -> ApiResult<ProfilesListArgs> {
    match parse_command(["profiles", "list"], flags, cat)? {
        Command::Profiles {
            action: ProfilesAction::List(args),
        } => Ok(*args),
        _ => Err(ApiError::internal("profiles list did not parse as itself")),
    }
}

/// `infercat manifests create <flags>` as parsed arguments.
pub fn manifests_create(flags: &[String], cat: &Catalog) -> ApiResult<ManifestsCreateArgs> {
    create_args(parse_command(["manifests", "create"], flags, cat)?)
}

/// A pricing model by the API's names (`spot`, `on-demand`, `1-year-cud`, `3-years-cud`).
pub fn pricing_model(name: &str) -> ApiResult<PricingModel> {
    name.parse::<PricingModel>().map_err(|_| {
        ApiError::invalid(format!(
            "`pricingModel` `{name}` is not one of spot, on-demand, 1-year-cud, 3-years-cud"
        ))
    })
}
