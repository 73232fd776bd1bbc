//! `checkpoint link`: record linkage of any two CSV files (or one, deduplicated) under a
//! settings file, with accuracy against ground truth when it is known.
//!
//! The linkage itself (training, scoring, explanations) is `checkpoint-linkage`, which does no
//! IO; this module reads and validates the CSVs, routes unreadable rows to a rejects file,
//! shows progress, and writes the scored pairs.

use anyhow::{Context, Result, bail};
use checkpoint_linkage::{
    Confusion, Dataset, Model, PreparedRecord, RunOptions, ScoredPair, Settings, best_per_right,
    link, passes,
};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Link two CSV files (or deduplicate one) with a Fellegi–Sunter model trained on them without
/// labels, and write every scored pair above the threshold with each field's contribution.
///
/// Example: checkpoint link --settings crates/linkage/tests/data/febrl.toml --left a.csv
/// --right b.csv --out pairs.csv --truth entity_id
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// Settings (TOML): id column, comparisons, blocking rules, training and thresholds.
    #[arg(long)]
    settings: PathBuf,
    /// The left CSV file (with a header row).
    #[arg(long)]
    left: PathBuf,
    /// The right CSV file; without it, the left file is deduplicated.
    #[arg(long)]
    right: Option<PathBuf>,
    /// Where to write the scored pairs (CSV). Unreadable rows go to OUT's stem + .rejects.csv.
    #[arg(long)]
    out: PathBuf,
    /// Lowest match probability written; default: the settings' review threshold.
    #[arg(long)]
    threshold: Option<f64>,
    /// Keep only each right record's best-scoring pair.
    #[arg(long)]
    best: bool,
    /// A column present in both files that holds the true entity id: print precision, recall
    /// and F1.
    #[arg(long, conflicts_with = "truth_file")]
    truth: Option<String>,
    /// A CSV of true pairs (left id, right id; header row) to evaluate against instead.
    #[arg(long)]
    truth_file: Option<PathBuf>,
    /// Fail, writing nothing, if any row cannot be read (default: reject it and go on).
    #[arg(long)]
    all_or_nothing: bool,
    /// Also save the trained model as JSON (for the incremental index, or inspection).
    #[arg(long)]
    model_out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// One row that could not be read.
struct Reject {
    file: String,
    row: u64,
    line: u64,
    column: String,
    message: String,
}

/// A CSV file read and prepared.
struct Table {
    ids: Vec<String>,
    records: Vec<PreparedRecord>,
    /// Entity ids when `--truth` names a column.
    entities: Vec<String>,
}

pub fn run(args: &LinkArgs) -> Result<()> {
    let started = Instant::now();
    let settings_name = args.settings.display().to_string();
    let text = std::fs::read_to_string(&args.settings)
        .with_context(|| format!("reading {settings_name}"))?;
    let settings = Settings::from_toml(&text, &settings_name).map_err(anyhow::Error::msg)?;
    let threshold = args.threshold.unwrap_or(settings.thresholds.review);
    if !(0.0..=1.0).contains(&threshold) {
        bail!("--threshold {threshold} is not a probability");
    }

    let mut rejects = Vec::new();
    let left = read_table(&args.left, &settings, args.truth.as_deref(), &mut rejects)?;
    let right = match &args.right {
        Some(path) => Some(read_table(
            path,
            &settings,
            args.truth.as_deref(),
            &mut rejects,
        )?),
        None => None,
    };
    let rejects_path = rejects_path(&args.out);
    if !rejects.is_empty() {
        if args.all_or_nothing {
            for r in rejects.iter().take(20) {
                eprintln!(
                    "{}: row {} (line {}), column `{}`: {}",
                    r.file, r.row, r.line, r.column, r.message
                );
            }
            bail!(
                "{} row(s) cannot be read and --all-or-nothing is set; nothing written",
                rejects.len()
            );
        }
        write_rejects(&rejects_path, &rejects)?;
        eprintln!(
            "{} row(s) rejected, listed in {}",
            rejects.len(),
            rejects_path.display()
        );
    } else if rejects_path.exists() {
        // A stale list from an earlier run would be mistaken for this run's.
        std::fs::remove_file(&rejects_path)
            .with_context(|| format!("removing stale {}", rejects_path.display()))?;
    }
    let read_time = started.elapsed();

    let data = match &right {
        Some(right) => Dataset::Link {
            left: &left.records,
            right: &right.records,
        },
        None => Dataset::Dedupe(&left.records),
    };
    let right_table = right.as_ref().unwrap_or(&left);
    let bar = progress_bar(data.right().len() as u64 * passes(&settings));
    let tick = |n: u64| bar.inc(n);
    let options = RunOptions {
        threads: args.threads,
        progress: Some(&tick),
    };

    // Ground truth, as "is (left i, right j) a true pair?".
    let truth = match (&args.truth, &args.truth_file) {
        (Some(_), _) => Some(Truth::Entities),
        (None, Some(path)) => Some(Truth::Pairs(read_truth_pairs(
            path,
            &left.ids,
            &right_table.ids,
            right.is_none(),
        )?)),
        (None, None) => None,
    };
    let same_entity = |l: u32, r: u32| match &truth {
        Some(Truth::Entities) => left.entities[l as usize] == right_table.entities[r as usize],
        Some(Truth::Pairs(pairs)) => pairs.contains(&(l, r)),
        None => false,
    };

    // Training and scoring share one comparison of each candidate pair.
    let linking_started = Instant::now();
    let (model, report, prediction) = link(
        &settings,
        data,
        threshold,
        truth
            .is_some()
            .then_some(&same_entity as &(dyn Fn(u32, u32) -> bool + Sync)),
        &options,
    );
    let linking_time = linking_started.elapsed();
    if let Some(path) = &args.model_out {
        let json = serde_json::to_string_pretty(&model).context("serialising the model")?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    let pairs = if args.best {
        best_per_right(&prediction.pairs)
    } else {
        prediction.pairs.clone()
    };
    bar.finish_and_clear();
    let writing_started = Instant::now();
    write_pairs(&args.out, &model, data, &left.ids, &right_table.ids, &pairs)?;
    let writing_time = writing_started.elapsed();

    println!(
        "records: {} left, {} right{}; rejected rows: {}",
        left.ids.len(),
        right.as_ref().map_or(0, |r| r.ids.len()),
        if right.is_none() {
            " (deduplicating left)"
        } else {
            ""
        },
        rejects.len()
    );
    println!(
        "model: prior λ = {:.3e} (estimated from {} candidate pairs), u from {} random pairs, {} EM session(s)",
        report.prior,
        report.blocked_pairs,
        report.u_pairs_sampled,
        report.sessions.len()
    );
    for s in &report.sessions {
        println!(
            "  session {}: {} pairs, λ {:.4}, {} iteration(s){}, trained {}",
            s.rule,
            s.pairs,
            s.lambda,
            s.iterations,
            if s.converged { "" } else { " (not converged)" },
            s.trained.join(", ")
        );
    }
    println!(
        "candidate pairs scored: {}; written (probability ≥ {threshold}{}): {} → {}",
        prediction.compared,
        if args.best {
            ", best per right record"
        } else {
            ""
        },
        pairs.len(),
        args.out.display()
    );
    if let Some(truth) = &truth {
        let confusion = match truth {
            Truth::Entities => Confusion::count(
                pairs.iter().map(|p| (p.left, p.right)),
                &left.entities,
                &right_table.entities,
                right.is_none(),
                prediction.true_pairs_blocked,
            ),
            Truth::Pairs(set) => {
                let tp = pairs
                    .iter()
                    .filter(|p| set.contains(&(p.left, p.right)))
                    .count() as u64;
                Confusion {
                    true_positives: tp,
                    false_positives: pairs.len() as u64 - tp,
                    false_negatives: set.len() as u64 - tp,
                    true_pairs: set.len() as u64,
                    true_pairs_blocked: prediction.true_pairs_blocked,
                }
            }
        };
        print_evaluation(&confusion);
    }
    println!(
        "time: read {:.2}s, train and score {:.2}s, write {:.2}s, total {:.2}s",
        read_time.as_secs_f64(),
        linking_time.as_secs_f64(),
        writing_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

enum Truth {
    /// Compare the `--truth` column's values.
    Entities,
    /// Listed (left index, right index) pairs; in deduplication, (lower, higher).
    Pairs(HashSet<(u32, u32)>),
}

fn print_evaluation(c: &Confusion) {
    let show = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.4}"));
    println!(
        "truth: {} true pairs; blocking kept {} ({})",
        c.true_pairs,
        c.true_pairs_blocked,
        show(c.blocking_recall())
    );
    println!(
        "true positives {}, false positives {}, false negatives {}",
        c.true_positives, c.false_positives, c.false_negatives
    );
    println!(
        "precision {}  recall {}  F1 {}",
        show(c.precision()),
        show(c.recall()),
        show(c.f1())
    );
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} linking [{bar:40}] {percent}% ({eta} left)")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// `pairs.csv` → `pairs.rejects.csv` beside it.
fn rejects_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map_or_else(|| "pairs".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}.rejects.csv"))
}

/// Reads one CSV file. Missing columns fail the run; a row that cannot be read (wrong number
/// of fields, bad UTF-8, a bad date, an empty or repeated id) is rejected with its file, row,
/// line and column, and the rest of the file is still read.
fn read_table(
    path: &Path,
    settings: &Settings,
    truth_column: Option<&str>,
    rejects: &mut Vec<Reject>,
) -> Result<Table> {
    let file_name = path.display().to_string();
    let file = std::fs::File::open(path).with_context(|| format!("opening {file_name}"))?;
    let mut table = Table {
        ids: Vec::new(),
        records: Vec::new(),
        entities: Vec::new(),
    };
    if file.metadata().map(|m| m.len() == 0).unwrap_or(false) {
        return Ok(table); // an empty file has no rows to link
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::BufReader::new(file));
    let headers: Vec<String> = reader
        .byte_headers()
        .with_context(|| format!("{file_name}: reading the header row"))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_owned())
        .collect();
    let find = |column: &str| -> Result<usize> {
        headers.iter().position(|h| h == column).with_context(|| {
            format!(
                "{file_name}: no column `{column}` (the header has: {})",
                headers.join(", ")
            )
        })
    };
    let id_at = find(&settings.id_column)?;
    let columns = settings.columns();
    let value_at: Vec<usize> = columns.iter().map(|c| find(c)).collect::<Result<_>>()?;
    let truth_at = truth_column.map(find).transpose()?;

    let mut seen_ids: HashMap<String, u64> = HashMap::new();
    let mut row_number = 0u64;
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        let more = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(e) => {
                if let csv::ErrorKind::Io(_) = e.kind() {
                    return Err(e).with_context(|| format!("reading {file_name}"));
                }
                row_number += 1;
                rejects.push(Reject {
                    file: file_name.clone(),
                    row: row_number,
                    line,
                    column: String::new(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        if !more {
            break;
        }
        row_number += 1;
        let mut reject = |column: &str, message: String| {
            rejects.push(Reject {
                file: file_name.clone(),
                row: row_number,
                line,
                column: column.to_owned(),
                message,
            });
        };
        if record.len() != headers.len() {
            let spans = record.iter().any(|f| f.contains(&b'\n'));
            reject(
                "",
                format!(
                    "{} field(s), expected {}{}",
                    record.len(),
                    headers.len(),
                    if spans {
                        "; a field runs across lines: is there a stray quote?"
                    } else {
                        ""
                    }
                ),
            );
            continue;
        }
        let text = |i: usize| std::str::from_utf8(&record[i]);
        let id = match text(id_at) {
            Ok(id) if !id.trim().is_empty() => id.trim().to_owned(),
            Ok(_) => {
                reject(&settings.id_column, "the id is empty".to_owned());
                continue;
            }
            Err(e) => {
                reject(&settings.id_column, format!("not UTF-8: {e}"));
                continue;
            }
        };
        if let Some(first) = seen_ids.get(&id) {
            reject(
                &settings.id_column,
                format!("id `{id}` already appeared in row {first}"),
            );
            continue;
        }
        let mut values = Vec::with_capacity(value_at.len());
        let mut bad = false;
        for (column, &at) in columns.iter().zip(&value_at) {
            match text(at) {
                Ok(v) => values.push(v),
                Err(e) => {
                    reject(column, format!("not UTF-8: {e}"));
                    bad = true;
                    break;
                }
            }
        }
        if bad {
            continue;
        }
        let prepared = match settings.prepare(&values) {
            Ok(p) => p,
            Err(e) => {
                reject(&e.column, e.message);
                continue;
            }
        };
        let entity = match truth_at.map(text) {
            // An empty truth value is an entity of its own.
            Some(Ok(e)) if !e.trim().is_empty() => e.trim().to_owned(),
            Some(Ok(_)) => format!("\u{0}{file_name}:{row_number}"),
            Some(Err(e)) => {
                reject(truth_column.unwrap_or_default(), format!("not UTF-8: {e}"));
                continue;
            }
            None => String::new(),
        };
        seen_ids.insert(id.clone(), row_number);
        table.ids.push(id);
        table.records.push(prepared);
        table.entities.push(entity);
    }
    Ok(table)
}

/// True pairs from a CSV of `left_id,right_id` (header row first).
fn read_truth_pairs(
    path: &Path,
    left_ids: &[String],
    right_ids: &[String],
    dedupe: bool,
) -> Result<HashSet<(u32, u32)>> {
    let name = path.display().to_string();
    let left: HashMap<&str, u32> = left_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i as u32))
        .collect();
    let right: HashMap<&str, u32> = right_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i as u32))
        .collect();
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("opening {name}"))?;
    let mut pairs = HashSet::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{name}: row {}", row + 1))?;
        if record.len() < 2 {
            bail!("{name}: row {}: expected left_id,right_id", row + 1);
        }
        let (Some(&l), Some(&r)) = (left.get(record[0].trim()), right.get(record[1].trim())) else {
            // A pair naming a rejected or unknown record cannot be found: it stays a miss.
            continue;
        };
        let pair = if dedupe { (l.min(r), l.max(r)) } else { (l, r) };
        if !dedupe || l != r {
            pairs.insert(pair);
        }
    }
    Ok(pairs)
}

fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    w.write_record(["file", "row", "line", "column", "error"])?;
    for r in rejects {
        w.write_record([
            r.file.as_str(),
            &r.row.to_string(),
            &r.line.to_string(),
            &r.column,
            &r.message,
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn write_pairs(
    path: &Path,
    model: &Model,
    data: Dataset<'_>,
    left_ids: &[String],
    right_ids: &[String],
    pairs: &[ScoredPair],
) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    let mut header = vec![
        "left_id".to_owned(),
        "right_id".to_owned(),
        "match_probability".to_owned(),
        "match_weight".to_owned(),
        "band".to_owned(),
    ];
    header.extend(model.settings().comparisons.iter().map(|c| c.name.clone()));
    w.write_record(&header)?;
    for pair in pairs {
        let explanation = model.explain(
            &data.left()[pair.left as usize],
            &data.right()[pair.right as usize],
        );
        let mut row = vec![
            left_ids[pair.left as usize].clone(),
            right_ids[pair.right as usize].clone(),
            format!("{:.6}", pair.match_probability),
            format!("{:.3}", pair.match_weight),
            model.band(pair.match_probability).as_str().to_owned(),
        ];
        row.extend(explanation.fields.iter().map(|f| f.summary()));
        w.write_record(&row)?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
