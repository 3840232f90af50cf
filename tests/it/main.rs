//! The integration tests, in one binary: one module per concern (the CLI's lifecycle, the
//! threat model, the journal's tamper and crash behaviour, PostgreSQL, properties…), sharing the
//! fixtures in [`support`]. One binary links once instead of twenty times.

mod support;

mod amend_properties;
mod amendments_cli;
mod bounds;
mod case_binding;
mod case_properties;
mod checked_caches;
mod cli_edges;
mod cli_evaluate;
mod cli_lifecycle;
mod compile_fail;
mod epoch_properties;
mod export_exact;
mod html_pages;
mod journal_concurrency;
mod journal_crash;
mod journal_tamper;
mod lineage_cli;
mod living_case;
mod markdown_injection;
mod policy_properties;
mod postgres_store;
mod robustness;
mod store_races;
mod threat_model;
mod transition_coverage;
