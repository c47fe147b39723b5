//! Property tests of the pipeline loader (`sluice::config`): no text makes it panic, and a
//! pipeline generated from valid settings, written as TOML, loads with those settings.

#![allow(clippy::unwrap_used)] // Tests: a failed step is a failed test.

use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;
use sluice::config::PipelineSpec;
use toml::{Table, Value};

const PATH: &str = "pipelines/p.toml";

/// The keys and sections of real pipelines, so generated text gets past the TOML syntax
/// into the checks of each key.
const SECTIONS: [&str; 9] = [
    "[pipeline]",
    "[source]",
    "[source.params]",
    "[source.csv]",
    "[source.excel]",
    "[[transform]]",
    "[match]",
    "[match.append]",
    "[watch]",
];
const KEYS: [&str; 16] = [
    "name",
    "plugin",
    "timezone",
    "batch_size",
    "plugin_timeout_ms",
    "plugin_memory_mb",
    "on_rejected",
    "max_rejected",
    "auto_accept",
    "review",
    "on_ambiguous",
    "path",
    "delimiter",
    "Notes",
    "patterns",
    "member_code",
];
const VALUES: [&str; 14] = [
    "\"auto\"",
    "\"csv\"",
    "\"mapping\"",
    "\"abort\"",
    "\"America/New_York\"",
    "\"Mars/Base\"",
    "0",
    "-1",
    "65537",
    "9223372036854775807",
    "0.5",
    "nan",
    "[\"*.csv\"]",
    "{ a = 1 }",
];

fn pipeline_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        prop::sample::select(SECTIONS.to_vec()).prop_map(String::from),
        (
            prop::sample::select(KEYS.to_vec()),
            prop_oneof![
                prop::sample::select(VALUES.to_vec()).prop_map(String::from),
                any::<i64>().prop_map(|i| i.to_string()),
                "\"[^\"\\\\]{0,12}\"",
            ]
        )
            .prop_map(|(k, v)| format!("{k} = {v}")),
    ];
    proptest::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n"))
}

const ZONES: [&str; 4] = ["UTC", "America/New_York", "Europe/Paris", "Asia/Kolkata"];

#[derive(Debug, Clone)]
struct Settings {
    name: String,
    description: Option<String>,
    timezone: Option<&'static str>,
    batch_size: Option<i64>,
    timeout_ms: Option<i64>,
    memory_mb: Option<i64>,
    source: &'static str,
    delimiter: Option<&'static str>,
    transforms: usize,
    thresholds: Option<(f64, f64)>,
    store: Option<String>,
}

fn settings() -> impl Strategy<Value = Settings> {
    (
        (
            any::<String>(),
            prop::option::of(any::<String>()),
            prop::option::of(prop::sample::select(ZONES.to_vec())),
            prop::option::of(1i64..=65_536),
            prop::option::of(1i64..=3_600_000),
            prop::option::of(1i64..=4096),
        ),
        (
            prop::sample::select(vec!["csv", "excel", "auto"]),
            prop::option::of(prop::sample::select(vec![",", ";", "tab", "auto"])),
            0usize..3,
            prop::option::of((0.0f64..=1.0, 0.0f64..=1.0)),
            prop::option::of("[a-z][a-z0-9_]{0,8}\\.db"),
        ),
    )
        .prop_map(|(a, b)| Settings {
            name: a.0,
            description: a.1,
            timezone: a.2,
            batch_size: a.3,
            timeout_ms: a.4,
            memory_mb: a.5,
            source: b.0,
            delimiter: b.1,
            transforms: b.2,
            // `review` may not be above `auto_accept`.
            thresholds: b.3.map(|(x, y)| (x.max(y), x.min(y))),
            store: b.4,
        })
}

fn table(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Table(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// The pipeline file for `s`, written by the toml crate.
fn pipeline_toml(s: &Settings) -> String {
    let mut meta = Table::new();
    meta.insert("name".into(), Value::String(s.name.clone()));
    if let Some(d) = &s.description {
        meta.insert("description".into(), Value::String(d.clone()));
    }
    if let Some(tz) = s.timezone {
        meta.insert("timezone".into(), Value::String(tz.into()));
    }
    for (key, v) in [
        ("batch_size", s.batch_size),
        ("plugin_timeout_ms", s.timeout_ms),
        ("plugin_memory_mb", s.memory_mb),
    ] {
        if let Some(v) = v {
            meta.insert(key.into(), Value::Integer(v));
        }
    }
    let mut doc = Table::new();
    doc.insert("pipeline".into(), Value::Table(meta));
    let params = s
        .delimiter
        .map(|d| table([("delimiter", Value::String(d.into()))]));
    let mut source = Table::new();
    source.insert("plugin".into(), Value::String(s.source.into()));
    match (s.source, params) {
        ("auto", Some(p)) => {
            source.insert("csv".into(), p);
        }
        ("csv", Some(p)) => {
            source.insert("params".into(), p);
        }
        _ => {}
    }
    doc.insert("source".into(), Value::Table(source));
    if s.transforms > 0 {
        let mapping = table([("plugin", Value::String("mapping".into()))]);
        doc.insert(
            "transform".into(),
            Value::Array(vec![mapping; s.transforms]),
        );
    }
    if let Some((auto_accept, review)) = s.thresholds {
        doc.insert(
            "match".into(),
            table([
                ("plugin", Value::String("contacts".into())),
                ("auto_accept", Value::Float(auto_accept)),
                ("review", Value::Float(review)),
            ]),
        );
    }
    if let Some(path) = &s.store {
        doc.insert(
            "store".into(),
            table([("path", Value::String(path.clone()))]),
        );
    }
    toml::to_string(&doc).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text: a pipeline or an error naming a line of the file, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in prop_oneof![any::<String>(), pipeline_like()]) {
        if let Err(e) = PipelineSpec::parse(Path::new(PATH), &text) {
            prop_assert!(e.to_string().contains(PATH), "{}", e);
        }
    }

    /// A pipeline written from valid settings loads, with those settings.
    #[test]
    fn generated_pipelines_load(s in settings()) {
        let text = pipeline_toml(&s);
        let spec = PipelineSpec::parse(Path::new(PATH), &text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&spec.name, &s.name);
        prop_assert_eq!(&spec.description, &s.description);
        prop_assert_eq!(spec.timezone.as_str(), s.timezone.unwrap_or("UTC"));
        prop_assert_eq!(spec.batch_size, usize::try_from(s.batch_size.unwrap_or(512)).unwrap());
        prop_assert_eq!(
            spec.limits.call_timeout,
            Duration::from_millis(u64::try_from(s.timeout_ms.unwrap_or(10_000)).unwrap())
        );
        prop_assert_eq!(
            spec.limits.memory,
            usize::try_from(s.memory_mb.unwrap_or(512)).unwrap() << 20
        );
        prop_assert_eq!(spec.source.plugin.as_str(), if s.source == "auto" { "csv" } else { s.source });
        prop_assert_eq!(spec.auto_sources.len(), if s.source == "auto" { 2 } else { 0 });
        prop_assert_eq!(spec.transforms.len(), s.transforms);
        let (auto_accept, review) = s.thresholds.unwrap_or((0.92, 0.75));
        prop_assert_eq!(spec.matcher.auto_accept, auto_accept);
        prop_assert_eq!(spec.matcher.review, review);
        prop_assert_eq!(
            &spec.store_path,
            &Path::new("pipelines").join(s.store.as_deref().unwrap_or("sluice.db"))
        );
        // Every stage is there once, in pipeline order, ending with the matcher.
        prop_assert_eq!(
            spec.stages().len(),
            spec.auto_sources.len().max(1) + s.transforms + 1
        );
    }
}
