//! JSON Schemas for every type that crosses the JSON boundary, generated from the Rust types
//! with schemars. `schemas/` holds the checked-in copies; `authority-lane schema --check schemas`
//! fails when they drift from the types.

use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings};

fn schema_of<T: JsonSchema>() -> Schema {
    SchemaGenerator::new(SchemaSettings::draft2020_12()).into_root_schema_for::<T>()
}

/// Every schema as (file name, pretty JSON with a trailing newline), in a stable order.
pub fn all() -> Vec<(&'static str, String)> {
    use crate::{approval, assess, case, journal, packet, store, workflow};
    let schemas: Vec<(&'static str, Schema)> = vec![
        (
            "workflow.schema.json",
            schema_of::<workflow::WorkflowSpec>(),
        ),
        ("facts.schema.json", schema_of::<workflow::FactsInput>()),
        ("assessment.schema.json", schema_of::<assess::Assessment>()),
        ("command.schema.json", schema_of::<case::Command>()),
        ("event.schema.json", schema_of::<case::EventRecord>()),
        ("genesis.schema.json", schema_of::<case::GenesisRecord>()),
        ("journal-record.schema.json", schema_of::<journal::Record>()),
        ("status.schema.json", schema_of::<store::JournalStatus>()),
        (
            "draft-packet.schema.json",
            schema_of::<packet::DraftPacket>(),
        ),
        (
            "packet.schema.json",
            schema_of::<packet::RecommendationPacket>(),
        ),
        ("trust.schema.json", schema_of::<approval::TrustFile>()),
        ("token-claims.schema.json", schema_of::<approval::Claims>()),
    ];
    schemas
        .into_iter()
        .map(|(name, schema)| {
            let mut text = serde_json::to_string_pretty(&schema)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            text.push('\n');
            (name, text)
        })
        .collect()
}
