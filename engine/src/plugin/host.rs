//! The wasmtime side: one `Engine` per process with the sandbox settings and an epoch
//! ticker, the WASI context that grants nothing, and loading plugins into `LoadedPlugin`s
//! whose `describe()` has been read and whose exports have been checked against their world.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use super::bindings::{self, wit};
use super::cache::Cache;
use super::error::system_cause;
use super::{Error, builtin};
use sluice_sdk::{ABI_VERSION, Kind, ParamSpec, ParamType, PluginInfo};

/// How often the epoch ticks; deadlines are whole ticks.
const TICK: Duration = Duration::from_millis(50);

/// The most a plugin may write to stderr (its panic message lands there).
const STDERR_CAPACITY: usize = 64 * 1024;

/// The resources one plugin instance may use.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Wall time of one call.
    pub call_timeout: Duration,
    /// Linear memory of one instance, in bytes.
    pub memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_secs(10),
            memory: 512 << 20,
        }
    }
}

/// Loads and instantiates plugins; one per process.
pub struct Host {
    engine: Engine,
    linker: Arc<Linker<HostState>>,
    cache: Cache,
    loaded: HashMap<String, LoadedPlugin>,
}

/// Per-instance host state: a WASI context that grants nothing, and the memory limit.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    stderr: MemoryOutputPipe,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// A clock stopped at the Unix epoch: plugins must not depend on when they run.
struct StoppedClock;

impl HostWallClock for StoppedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for StoppedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// A plugin whose component is compiled, whose `describe()` was read, and whose exports
/// match the world of its kind.
#[derive(Clone)]
pub struct LoadedPlugin {
    /// How the pipeline named it: a built-in name or the path given.
    pub origin: String,
    /// What its `describe()` returned.
    pub info: PluginInfo,
    /// SHA-256 (hex) of its component bytes: which build it is, whatever its version says.
    pub sha256: String,
    pub(crate) component: Component,
}

impl LoadedPlugin {
    /// `name version` for messages.
    #[must_use]
    pub fn label(&self) -> String {
        format!("`{}` {}", self.info.name, self.info.version)
    }
}

/// A fresh sandbox for one plugin instance.
pub(crate) struct Sandbox {
    pub(crate) store: Store<HostState>,
    pub(crate) ticks: u64,
}

impl Sandbox {
    /// What the plugin wrote to stderr, last line first trimmed (a panic message).
    pub(crate) fn stderr_tail(&self) -> Option<String> {
        let bytes = self.store.data().stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        (!text.is_empty()).then(|| {
            text.lines()
                .rev()
                .take(3)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join(" / ")
        })
    }
}

impl Host {
    /// An engine with the sandbox settings, a ticker thread for call deadlines, and a
    /// component cache (`None` to compile every time).
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Self, Error> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(1 << 20)
            .cranelift_opt_level(wasmtime::OptLevel::Speed);
        // Opt-in, for profiling: `perf` then names the plugins' functions (it reads
        // /tmp/perf-PID.map) instead of showing anonymous JIT addresses.
        if std::env::var_os("SLUICE_WASM_PERFMAP").is_some_and(|v| v == "1") {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config).map_err(|e| Error::Compile {
            plugin: "(engine)".into(),
            message: format!("{e:#}"),
        })?;
        let weak = engine.weak();
        // The ticker ends with the engine.
        std::thread::spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(TICK);
            }
        });
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| Error::Compile {
            plugin: "(WASI)".into(),
            message: format!("{e:#}"),
        })?;
        Ok(Self {
            engine,
            linker: Arc::new(linker),
            cache: Cache::new(cache_dir),
            loaded: HashMap::new(),
        })
    }

    /// Loads a plugin by built-in name or by path (relative paths are resolved by the
    /// caller); checks its ABI version and that it implements its kind's world.
    pub fn load(&mut self, name_or_path: &str, base_dir: &Path) -> Result<LoadedPlugin, Error> {
        let looks_like_path = name_or_path.ends_with(".wasm")
            || name_or_path.contains('/')
            || name_or_path.contains('\\');
        // Built-ins by name; files by resolved path, so two pipelines in different
        // directories naming `plugins/x.wasm` get their own plugin.
        let key = if looks_like_path {
            base_dir.join(name_or_path).display().to_string()
        } else {
            name_or_path.to_string()
        };
        if let Some(plugin) = self.loaded.get(&key) {
            return Ok(plugin.clone());
        }
        let bytes: std::borrow::Cow<'static, [u8]> = if looks_like_path {
            let path = base_dir.join(name_or_path);
            std::fs::read(&path)
                .map(Into::into)
                .map_err(|source| Error::Read { path, source })?
        } else {
            builtin::get(name_or_path)
                .map(Into::into)
                .ok_or_else(|| Error::UnknownBuiltin {
                    name: name_or_path.to_string(),
                    known: builtin::names().collect::<Vec<_>>().join(", "),
                })?
        };
        let plugin = self.load_bytes(name_or_path, &bytes)?;
        self.loaded.insert(key, plugin.clone());
        Ok(plugin)
    }

    /// Loads a plugin from component bytes; `origin` names it in messages.
    pub fn load_bytes(&self, origin: &str, bytes: &[u8]) -> Result<LoadedPlugin, Error> {
        // Running out of memory or address space is the machine's fault, not the plugin's:
        // it gets its own error rather than "not a WebAssembly component".
        let failed = |action: &'static str, e: &wasmtime::Error| match system_cause(e) {
            Some(message) => Error::Environment {
                plugin: origin.to_string(),
                action,
                message,
            },
            None => Error::Compile {
                plugin: origin.to_string(),
                message: format!("{e:#}"),
            },
        };
        let component = self
            .cache
            .load(&self.engine, bytes)
            .map_err(|e| failed("compile", &e))?;
        let mut sandbox = self.sandbox(Limits::default());
        let instance = self
            .linker
            .instantiate(&mut sandbox.store, &component)
            .map_err(|e| failed("start", &e))?;
        let not_a_plugin = |message: String| Error::Compile {
            plugin: origin.to_string(),
            message: format!(
                "it has no usable `describe` export ({message}); is it a sluice plugin?"
            ),
        };
        let describe = instance
            .get_typed_func::<(), (wit::PluginInfo,)>(&mut sandbox.store, "describe")
            .map_err(|e| not_a_plugin(format!("{e:#}")))?;
        let (info,) = describe
            .call(&mut sandbox.store, ())
            .map_err(|e| Error::Fault {
                plugin: origin.to_string(),
                stage: "describe".into(),
                rows: None,
                message: format!("{e:#}"),
            })?;
        let info = info_from_wit(info);
        if !abi_compatible(&info.abi_version) {
            return Err(Error::AbiMismatch {
                plugin: origin.to_string(),
                found: info.abi_version,
                supported: ABI_VERSION.to_string(),
            });
        }
        let plugin = LoadedPlugin {
            origin: origin.to_string(),
            info,
            sha256: super::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes)),
            component,
        };
        self.check_world(&plugin)?;
        Ok(plugin)
    }

    /// Type-checks the component's exports against the world of its declared kind.
    fn check_world(&self, plugin: &LoadedPlugin) -> Result<(), Error> {
        let pre = self.linker.instantiate_pre(&plugin.component);
        let checked = pre.and_then(|pre| match plugin.info.kind {
            Kind::Source => bindings::source::SourcePre::new(pre).map(drop),
            Kind::Transform => bindings::transform::TransformPre::new(pre).map(drop),
            Kind::Validator => bindings::validator::ValidatorPre::new(pre).map(drop),
            Kind::Matcher => bindings::matcher::MatcherPre::new(pre).map(drop),
        });
        checked.map_err(|e| Error::WrongWorld {
            plugin: plugin.origin.clone(),
            kind: plugin.info.kind,
            message: format!("{e:#}"),
        })
    }

    /// A fresh store with the given limits and a WASI context that grants nothing: no
    /// preopened directories, no sockets, no environment or arguments, a stopped clock.
    pub(crate) fn sandbox(&self, limits: Limits) -> Sandbox {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .wall_clock(StoppedClock)
            .monotonic_clock(StoppedClock)
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false)
            .build();
        let state = HostState {
            wasi,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory)
                .trap_on_grow_failure(true)
                .build(),
            stderr,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        let ticks = (limits.call_timeout.as_millis() / TICK.as_millis()).max(1);
        let ticks = u64::try_from(ticks).unwrap_or(u64::MAX);
        // Instantiation runs guest code too: it gets the same deadline as a call.
        store.set_epoch_deadline(ticks);
        Sandbox { store, ticks }
    }

    pub(crate) fn linker(&self) -> &Linker<HostState> {
        &self.linker
    }
}

/// Whether a plugin built for ABI `version` can run here: same major version (same minor
/// while the major is 0, as semver has it), and not newer than ours.
fn abi_compatible(version: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.split('.');
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    match (parse(version), parse(ABI_VERSION)) {
        (Some((0, minor)), Some((0, ours))) => minor == ours,
        (Some((major, minor)), Some((our_major, our_minor))) => {
            major == our_major && minor <= our_minor
        }
        _ => false,
    }
}

pub(crate) fn info_from_wit(info: wit::PluginInfo) -> PluginInfo {
    PluginInfo {
        name: info.name,
        version: info.version,
        abi_version: info.abi_version,
        kind: match info.kind {
            wit::PluginKind::Source => Kind::Source,
            wit::PluginKind::Transform => Kind::Transform,
            wit::PluginKind::Validator => Kind::Validator,
            wit::PluginKind::Matcher => Kind::Matcher,
        },
        summary: info.summary,
        params: info
            .params
            .into_iter()
            .map(|p| ParamSpec {
                name: p.name,
                ty: match p.ty {
                    wit::ParamType::Text => ParamType::Text,
                    wit::ParamType::Integer => ParamType::Integer,
                    wit::ParamType::Number => ParamType::Number,
                    wit::ParamType::Boolean => ParamType::Boolean,
                    wit::ParamType::TextList => ParamType::TextList,
                    wit::ParamType::TextMap => ParamType::TextMap,
                },
                required: p.required,
                default_value: p.default_value,
                help: p.help,
            })
            .collect(),
    }
}
