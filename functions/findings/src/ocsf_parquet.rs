//! The OCSF records as Parquet (docs/ocsf.md): the schema is the OCSF table's Glue
//! columns (modules/security-primary/athena/ocsf-columns.json), read at compile time, so
//! the table and the files cannot disagree. Snappy compression; one row group per file.

use std::sync::{Arc, LazyLock};

use arrow_schema::{ArrowError, DataType, Field, Fields, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::Deserialize;

use crate::ocsf::VulnerabilityFinding;

/// The Glue columns of the OCSF table, which the Parquet files follow.
pub const COLUMNS_JSON: &str =
    include_str!("../../../modules/security-primary/athena/ocsf-columns.json");

#[derive(Deserialize)]
struct Columns {
    columns: Vec<Column>,
}

#[derive(Deserialize)]
struct Column {
    name: String,
    #[serde(rename = "type")]
    hive_type: String,
}

static SCHEMA: LazyLock<SchemaRef> =
    LazyLock::new(|| schema_of(COLUMNS_JSON).expect("ocsf-columns.json is a valid schema"));

/// The Arrow schema of the OCSF Parquet files.
pub fn schema() -> SchemaRef {
    SCHEMA.clone()
}

/// The Arrow schema of a Glue columns file.
pub fn schema_of(columns_json: &str) -> Result<SchemaRef, String> {
    let columns: Columns = serde_json::from_str(columns_json).map_err(|e| e.to_string())?;
    let fields = columns
        .columns
        .iter()
        .map(|c| Ok(Field::new(&c.name, hive_type(&c.hive_type)?, true)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Arc::new(Schema::new(fields)))
}

/// A Hive (Glue) type as the Arrow type Athena reads it from Parquet.
fn hive_type(text: &str) -> Result<DataType, String> {
    let text = text.trim();
    let simple = match text {
        "string" => Some(DataType::Utf8),
        "int" => Some(DataType::Int32),
        "bigint" => Some(DataType::Int64),
        "double" => Some(DataType::Float64),
        "boolean" => Some(DataType::Boolean),
        _ => None,
    };
    if let Some(simple) = simple {
        return Ok(simple);
    }
    let (outer, inner) = text
        .split_once('<')
        .and_then(|(outer, rest)| Some((outer, rest.strip_suffix('>')?)))
        .ok_or_else(|| format!("{text:?} is not a Hive type this writer knows"))?;
    let parts = split_top_level(inner);
    match (outer, parts.as_slice()) {
        ("array", [item]) => Ok(DataType::List(Arc::new(Field::new(
            "item",
            hive_type(item)?,
            true,
        )))),
        ("map", [key, value]) => Ok(DataType::Map(
            Arc::new(Field::new(
                "entries",
                DataType::Struct(Fields::from(vec![
                    Field::new("key", hive_type(key)?, false),
                    Field::new("value", hive_type(value)?, true),
                ])),
                false,
            )),
            false,
        )),
        ("struct", fields) => {
            let fields = fields
                .iter()
                .map(|field| {
                    let (name, field_type) = field
                        .split_once(':')
                        .ok_or_else(|| format!("{field:?} in {text:?} is not name:type"))?;
                    Ok(Field::new(name.trim(), hive_type(field_type)?, true))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(DataType::Struct(Fields::from(fields)))
        }
        _ => Err(format!("{text:?} is not a Hive type this writer knows")),
    }
}

fn split_top_level(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (i, ch) in text.char_indices() {
        match ch {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `records` as one Parquet file (Snappy) in the OCSF schema. Fails when a record has a
/// field the schema lacks: the columns file must follow the mapping.
pub fn encode_parquet<R: serde::Serialize>(records: &[R]) -> Result<Vec<u8>, ArrowError> {
    let schema = schema();
    let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
        .with_batch_size(records.len().max(1))
        .with_strict_mode(true)
        .build_decoder()?;
    decoder.serialize(records)?;
    let mut buffer = Vec::new();
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(concat!("inspectorlink ", env!("CARGO_PKG_VERSION")).to_owned())
        .build();
    let mut writer = ArrowWriter::try_new(&mut buffer, schema, Some(properties))
        .map_err(|e| ArrowError::ExternalError(Box::new(e)))?;
    while let Some(batch) = decoder.flush()? {
        writer
            .write(&batch)
            .map_err(|e| ArrowError::ExternalError(Box::new(e)))?;
    }
    writer
        .close()
        .map_err(|e| ArrowError::ExternalError(Box::new(e)))?;
    Ok(buffer)
}

/// The records of an OCSF Parquet file (what [`encode_parquet`] wrote): for tests and
/// tools that read the copy back.
pub fn read_parquet(parquet: Vec<u8>) -> Result<Vec<VulnerabilityFinding>, String> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(parquet))
        .and_then(|builder| builder.build())
        .map_err(|e| format!("not an OCSF Parquet file: {e}"))?;
    let mut json = Vec::new();
    {
        let mut writer = arrow_json::LineDelimitedWriter::new(&mut json);
        for batch in reader {
            let batch = batch.map_err(|e| format!("reading a row group: {e}"))?;
            writer.write(&batch).map_err(|e| e.to_string())?;
        }
        writer.finish().map_err(|e| e.to_string())?;
    }
    serde_json::Deserializer::from_slice(&json)
        .into_iter::<VulnerabilityFinding>()
        .map(|record| record.map_err(|e| format!("a row is not an OCSF record of ours: {e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_file_is_a_schema_with_every_top_level_ocsf_field() {
        let schema = schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        for required in [
            "activity_id",
            "category_uid",
            "class_uid",
            "cloud",
            "finding_info",
            "metadata",
            "severity_id",
            "time",
            "type_uid",
            "vulnerabilities",
        ] {
            assert!(names.contains(&required), "{required} is not a column");
        }
    }

    #[test]
    fn an_unknown_hive_type_is_refused_with_its_name() {
        let err = hive_type("struct<a:timestamp>").unwrap_err();
        assert!(err.contains("timestamp"), "{err}");
        assert!(hive_type("array<string").is_err());
    }

    #[test]
    fn hive_types_nest() {
        assert_eq!(
            hive_type("array<struct<a:int,b:map<string,string>>>").unwrap(),
            DataType::List(Arc::new(Field::new(
                "item",
                DataType::Struct(Fields::from(vec![
                    Field::new("a", DataType::Int32, true),
                    Field::new("b", hive_type("map<string,string>").unwrap(), true),
                ])),
                true
            )))
        );
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;

    /// findings' checked-in OCSF records: every shape the mapping writes.
    fn examples() -> Vec<(String, VulnerabilityFinding)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ocsf");
        let mut examples: Vec<(String, VulnerabilityFinding)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                (
                    path.file_name().unwrap().to_string_lossy().into_owned(),
                    serde_json::from_str(&text).unwrap(),
                )
            })
            .collect();
        examples.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(
            examples.len() >= 10,
            "{dir} holds {} records",
            examples.len()
        );
        examples
    }

    #[test]
    fn every_record_shape_is_written_and_reads_back_unchanged() {
        let (names, records): (Vec<String>, Vec<VulnerabilityFinding>) =
            examples().into_iter().unzip();
        let parquet = encode_parquet(&records).unwrap();
        let back = read_parquet(parquet).unwrap();
        assert_eq!(back.len(), records.len());
        for ((name, written), read) in names.iter().zip(&records).zip(&back) {
            assert_eq!(read, written, "{name} changed on its way through Parquet");
        }
    }

    #[test]
    fn a_record_with_a_field_the_columns_lack_is_refused() {
        let (_, record) = examples().remove(0);
        let mut json = serde_json::to_value(&record).unwrap();
        json["finding_info"]["src_url"] = "https://example.com".into();
        let err = encode_parquet(&[json]).unwrap_err();
        assert!(err.to_string().contains("src_url"), "{err}");
    }
}
