//! `checkpoint export cases|jdl`: case-level data leaving the system, each a disclosure logged
//! with its justification and recipient by the export use cases in `checkpoint-app`.
//!
//! - `cases`: the pseudonymised extract (see `checkpoint_app::exports`), CSV or Parquet.
//!   Pseudonyms are HMAC-SHA256(key, "person:" or "case:" ‖ UUID), first 16 hex characters;
//!   keep the key file secret and reuse it to keep pseudonyms stable between extracts.
//! - `jdl`: the Justice Data Lab participant file (surname, forename, date of birth, gender,
//!   index date). It carries identifiers and is for the Justice Data Lab only; supervisors only.
//!
//! Parquet is written with the `parquet` crate's low-level column writers (no Arrow), Snappy
//! compressed, one row group per 131,072 rows; dates are Parquet `DATE` (days since
//! 1970-01-01), text is `UTF8`, missing values are nulls.

use crate::report_cmd::{SelectionArgs, SignInArgs, open_and_sign_in, write_output};
use anyhow::Context;
use checkpoint_app::exports::{Disclosure, ExportKey, PseudonymisedCase, jdl_csv};
use clap::{Args, Subcommand, ValueEnum};
use jiff::civil::Date;
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Pseudonymised case-level extract (no names, dates of birth, PNC ids or full postcodes).
    ///
    /// Example: checkpoint export cases --user analyst --key-file export.key --format parquet --out cases.parquet --justification "PCC evaluation 2026" --recipient "University of X"
    Cases(CasesArgs),
    /// Justice Data Lab participant file: identifiers, for the JDL only (supervisors).
    ///
    /// Example: checkpoint export jdl --user supervisor --scheme durham-checkpoint --out jdl.csv --justification "JDL request 2026-041"
    Jdl(JdlArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Parquet,
}

/// Why and to whom: recorded in the audit log (DPA 2018 s.62).
#[derive(Debug, Args)]
pub struct DisclosureArgs {
    /// Why this data is disclosed.
    #[arg(long)]
    pub justification: String,
    /// Who receives it.
    #[arg(long)]
    pub recipient: Option<String>,
}

impl DisclosureArgs {
    fn disclosure(&self) -> Disclosure {
        Disclosure {
            justification: self.justification.clone(),
            recipient: self.recipient.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct CasesArgs {
    /// The secret the pseudonyms are keyed with (at least 32 bytes).
    #[arg(long)]
    pub key_file: PathBuf,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub disclosure: DisclosureArgs,
    #[command(flatten)]
    pub sign_in: SignInArgs,
}

#[derive(Debug, Args)]
pub struct JdlArgs {
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub disclosure: DisclosureArgs,
    #[command(flatten)]
    pub sign_in: SignInArgs,
}

pub async fn run(command: ExportCommand, database_url: &str) -> anyhow::Result<()> {
    match command {
        ExportCommand::Cases(args) => {
            let key_bytes = std::fs::read(&args.key_file)
                .with_context(|| format!("cannot read {}", args.key_file.display()))?;
            let key = ExportKey::new(&key_bytes)?;
            let (app, actor) = open_and_sign_in(database_url, &args.sign_in).await?;
            let export = app
                .export_cases(
                    &actor,
                    &args.selection.query(),
                    &key,
                    &args.disclosure.disclosure(),
                )
                .await?;
            match args.format {
                ExportFormat::Csv => write_output(Some(&args.out), export.to_csv().as_bytes())?,
                ExportFormat::Parquet => write_parquet(&args.out, &export.rows)?,
            }
            eprintln!(
                "{} cases written to {} (key {}); the disclosure is in the audit log.",
                export.rows.len(),
                args.out.display(),
                export.key_fingerprint
            );
            app.db().close().await;
        }
        ExportCommand::Jdl(args) => {
            let (app, actor) = open_and_sign_in(database_url, &args.sign_in).await?;
            let rows = app
                .export_jdl(
                    &actor,
                    &args.selection.query(),
                    &args.disclosure.disclosure(),
                )
                .await?;
            write_output(Some(&args.out), jdl_csv(&rows).as_bytes())?;
            eprintln!(
                "{} participants written to {}. This file identifies people: send it to the Justice Data Lab only, by its secure route; the disclosure is in the audit log.",
                rows.len(),
                args.out.display()
            );
            app.db().close().await;
        }
    }
    Ok(())
}

const SCHEMA: &str = "message pseudonymised_case {
    REQUIRED BYTE_ARRAY person_pseudonym (UTF8);
    REQUIRED BYTE_ARRAY case_pseudonym (UTF8);
    REQUIRED BYTE_ARRAY scheme (UTF8);
    REQUIRED BYTE_ARRAY referral_month (UTF8);
    REQUIRED INT32 year_of_birth;
    REQUIRED BYTE_ARRAY age_band (UTF8);
    REQUIRED BYTE_ARRAY sex (UTF8);
    OPTIONAL BYTE_ARRAY ethnicity_self_defined (UTF8);
    OPTIONAL BYTE_ARRAY ethnicity_officer_observed (UTF8);
    OPTIONAL BYTE_ARRAY postcode_district (UTF8);
    OPTIONAL INT32 previous_convictions;
    OPTIONAL BYTE_ARRAY risk_band (UTF8);
    REQUIRED BYTE_ARRAY funnel_stage (UTF8);
    OPTIONAL BYTE_ARRAY ending (UTF8);
    OPTIONAL BYTE_ARRAY ineligibility_reason (UTF8);
    OPTIONAL INT32 outcome_code;
    OPTIONAL BYTE_ARRAY trial_arm (UTF8);
    OPTIONAL INT32 index_date (DATE);
    OPTIONAL INT32 contract_end (DATE);
    OPTIONAL INT32 monitored_until (DATE);
    REQUIRED INT32 rearrests;
    OPTIONAL INT32 first_rearrest (DATE);
    REQUIRED INT64 appointments_attended;
    REQUIRED BOOLEAN prosecuted;
}";

const ROW_GROUP: usize = 131_072;

/// One column's values for a row group.
enum Column {
    Text(Vec<Option<String>>),
    Int32(Vec<Option<i32>>),
    Int64(Vec<i64>),
    Bool(Vec<bool>),
}

fn days_since_epoch(date: Date) -> i32 {
    let epoch = jiff::civil::date(1970, 1, 1);
    epoch.until(date).map_or(0, |span| span.get_days())
}

fn columns(rows: &[PseudonymisedCase]) -> Vec<Column> {
    let text =
        |f: fn(&PseudonymisedCase) -> Option<String>| Column::Text(rows.iter().map(f).collect());
    let day = |f: fn(&PseudonymisedCase) -> Option<Date>| {
        Column::Int32(rows.iter().map(|r| f(r).map(days_since_epoch)).collect())
    };
    vec![
        text(|r| Some(r.person_pseudonym.clone())),
        text(|r| Some(r.case_pseudonym.clone())),
        text(|r| Some(r.scheme.clone())),
        text(|r| Some(r.referral_month.clone())),
        Column::Int32(
            rows.iter()
                .map(|r| Some(i32::from(r.year_of_birth)))
                .collect(),
        ),
        text(|r| Some(r.age_band.clone())),
        text(|r| Some(r.sex.clone())),
        text(|r| r.ethnicity_self_defined.clone()),
        text(|r| r.ethnicity_officer_observed.clone()),
        text(|r| r.postcode_district.clone()),
        Column::Int32(
            rows.iter()
                .map(|r| {
                    r.previous_convictions
                        .map(|n| i32::try_from(n).unwrap_or(i32::MAX))
                })
                .collect(),
        ),
        text(|r| r.risk_band.clone()),
        text(|r| Some(r.funnel_stage.clone())),
        text(|r| r.ending.clone()),
        text(|r| r.ineligibility_reason.clone()),
        Column::Int32(rows.iter().map(|r| r.outcome_code.map(i32::from)).collect()),
        text(|r| r.trial_arm.clone()),
        day(|r| r.index_date),
        day(|r| r.contract_end),
        day(|r| r.monitored_until),
        Column::Int32(
            rows.iter()
                .map(|r| Some(i32::try_from(r.rearrests).unwrap_or(i32::MAX)))
                .collect(),
        ),
        day(|r| r.first_rearrest),
        Column::Int64(rows.iter().map(|r| r.appointments_attended).collect()),
        Column::Bool(rows.iter().map(|r| r.prosecuted).collect()),
    ]
}

/// Definition levels (1 present, 0 null) and the present values, for an optional column.
fn levels<T: Clone>(values: &[Option<T>]) -> (Vec<i16>, Vec<T>) {
    let defs = values.iter().map(|v| i16::from(v.is_some())).collect();
    let present = values.iter().flatten().cloned().collect();
    (defs, present)
}

pub fn write_parquet(path: &Path, rows: &[PseudonymisedCase]) -> anyhow::Result<()> {
    let schema = Arc::new(parse_message_type(SCHEMA)?);
    let properties = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let optional: Vec<bool> = schema
        .get_fields()
        .iter()
        .map(|f| f.is_optional())
        .collect();
    let mut writer = SerializedFileWriter::new(file, schema, properties)?;
    for chunk in rows.chunks(ROW_GROUP) {
        let mut group = writer.next_row_group()?;
        let mut data = columns(chunk).into_iter().zip(optional.iter().copied());
        while let Some(mut column) = group.next_column()? {
            let (values, is_optional) = data.next().context("schema and columns disagree")?;
            match values {
                Column::Text(values) => {
                    let (defs, present) = levels(&values);
                    let bytes: Vec<ByteArray> = present
                        .into_iter()
                        .map(|s| ByteArray::from(s.into_bytes()))
                        .collect();
                    column.typed::<ByteArrayType>().write_batch(
                        &bytes,
                        is_optional.then_some(defs.as_slice()),
                        None,
                    )?;
                }
                Column::Int32(values) => {
                    let (defs, present) = levels(&values);
                    column.typed::<Int32Type>().write_batch(
                        &present,
                        is_optional.then_some(defs.as_slice()),
                        None,
                    )?;
                }
                Column::Int64(values) => {
                    column
                        .typed::<Int64Type>()
                        .write_batch(&values, None, None)?;
                }
                Column::Bool(values) => {
                    column
                        .typed::<BoolType>()
                        .write_batch(&values, None, None)?;
                }
            }
            column.close()?;
        }
        group.close()?;
    }
    writer.close()?;
    Ok(())
}
