//! The on-disk cache of compiled components, so a cron run starts in milliseconds instead of
//! compiling every plugin with Cranelift.
//!
//! An entry is keyed by the SHA-256 of the component and of the engine's compatibility hash
//! and sluice's version; it holds the SHA-256 of its payload in front, checked before the
//! payload is deserialised, so a truncated or corrupted entry is rebuilt, never executed.
//! Entries are written to a temporary file and renamed into place. The cache is an
//! optimisation: any failure to read or write it falls back to compiling.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components are kept.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: Option<PathBuf>,
}

/// Feeds a `Hash` value into SHA-256, which is stable across runs (unlike `DefaultHasher`).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

impl Cache {
    /// A cache in `dir`; `None` disables caching.
    #[must_use]
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir }
    }

    /// The platform's cache directory for sluice (e.g. `~/.cache/sluice` on Linux),
    /// overridden by the `SLUICE_CACHE_DIR` environment variable.
    #[must_use]
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("SLUICE_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        directories::ProjectDirs::from("", "", "sluice").map(|d| d.cache_dir().join("components"))
    }

    fn entry(&self, engine: &Engine, wasm: &[u8]) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let mut h = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        h.0.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.0.update(Sha256::digest(wasm));
        Some(dir.join(format!("{}.cwasm", hex(&h.0.finalize()))))
    }

    /// The component compiled from `wasm`, from the cache when a sound entry exists.
    pub fn load(&self, engine: &Engine, wasm: &[u8]) -> wasmtime::Result<Component> {
        let entry = self.entry(engine, wasm);
        if let Some(component) = entry.as_deref().and_then(|path| read_entry(engine, path)) {
            return Ok(component);
        }
        let compiled = engine.precompile_component(wasm)?;
        if let Some(path) = &entry {
            write_entry(path, &compiled);
        }
        // SAFETY: `compiled` was produced by `precompile_component` of this very engine
        // a moment ago; it is not read from anywhere another process could have changed.
        #[allow(unsafe_code)]
        unsafe {
            Component::deserialize(engine, &compiled)
        }
    }
}

fn read_entry(engine: &Engine, path: &Path) -> Option<Component> {
    let bytes = std::fs::read(path).ok()?;
    let (sum, payload) = bytes.split_at_checked(32)?;
    if Sha256::digest(payload).as_slice() != sum {
        // Corrupted or truncated: drop it so it is rebuilt.
        let _ = std::fs::remove_file(path);
        return None;
    }
    // SAFETY: the payload is what `write_entry` stored from `precompile_component` output of
    // an engine with the same compatibility hash (it is part of the file name), and its
    // checksum proves it is unchanged since. wasmtime also checks its own header.
    #[allow(unsafe_code)]
    unsafe {
        Component::deserialize(engine, payload).ok()
    }
}

fn write_entry(path: &Path, compiled: &[u8]) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let mut bytes = Sha256::digest(compiled).to_vec();
    bytes.extend_from_slice(compiled);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    // A write cut short (a full disk) leaves a partial file: remove it, or every later run
    // on the full disk would add another.
    if std::fs::write(&tmp, &bytes).is_err() || std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Lower-case hex of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
