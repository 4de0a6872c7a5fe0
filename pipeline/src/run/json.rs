//! Reading and writing the stages' JSON reports and text files, with errors that name the file.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::StageError;

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<String, StageError> {
    serde_json::to_string_pretty(v).map_err(|e| StageError::serialise("", e))
}

pub(crate) fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, StageError> {
    serde_json::to_value(v).map_err(|e| StageError::serialise("", e))
}

pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, StageError> {
    let text = std::fs::read_to_string(path).map_err(|e| StageError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| StageError::Manifest {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

pub fn write_text(path: &Path, text: &str) -> Result<(), StageError> {
    std::fs::write(path, text).map_err(|e| StageError::io(path, e))
}
