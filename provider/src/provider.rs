//! The provider and what it registers: three resources and three data sources.

use std::collections::HashMap;

use async_trait::async_trait;
use tf_provider::schema::Schema;
use tf_provider::value::ValueEmpty;
use tf_provider::{Diagnostics, DynamicDataSource, DynamicResource, Provider};

use crate::assessment_templates::AssessmentTemplates;
use crate::config::{self, Config, Connection};
use crate::inspector2_cis_scan_configuration::Inspector2CisScanConfiguration;
use crate::inspector2_configuration::Inspector2Configuration;
use crate::inspector2_coverage::Inspector2Coverage;
use crate::service_account::ServiceAccount;
use crate::sns_attachment::SnsAttachment;

#[derive(Default)]
pub struct Inspectorlink {
    connection: Connection,
}

#[async_trait]
impl Provider for Inspectorlink {
    type Config<'a> = Config;
    type MetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(config::schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Config) -> Option<()> {
        config::validate(diags, &config);
        Some(())
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        _terraform_version: String,
        config: Config,
    ) -> Option<()> {
        self.connection.configure(diags, &config).await
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some(HashMap::from([
            (
                "sns_attachment".to_owned(),
                Box::new(SnsAttachment::new(self.connection.clone())) as Box<dyn DynamicResource>,
            ),
            (
                "inspector2_configuration".to_owned(),
                Box::new(Inspector2Configuration::new(self.connection.clone())),
            ),
            (
                "inspector2_cis_scan_configuration".to_owned(),
                Box::new(Inspector2CisScanConfiguration::new(self.connection.clone())),
            ),
        ]))
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(HashMap::from([
            (
                "service_account".to_owned(),
                Box::new(ServiceAccount::new(self.connection.clone()))
                    as Box<dyn DynamicDataSource>,
            ),
            (
                "assessment_templates".to_owned(),
                Box::new(AssessmentTemplates::new(self.connection.clone())),
            ),
            (
                "inspector2_coverage".to_owned(),
                Box::new(Inspector2Coverage::new(self.connection.clone())),
            ),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use tf_provider::schema::Block;

    use super::*;

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// Every attribute and nested block of `block`, at any depth.
    fn names(block: &Block, out: &mut Vec<String>) {
        out.extend(block.attributes.keys().cloned());
        for (name, nested) in &block.blocks {
            out.push(name.clone());
            let (tf_provider::schema::NestedBlock::Optional(inner)
            | tf_provider::schema::NestedBlock::Single(inner)
            | tf_provider::schema::NestedBlock::List(inner)
            | tf_provider::schema::NestedBlock::Set(inner)
            | tf_provider::schema::NestedBlock::Map(inner)
            | tf_provider::schema::NestedBlock::Group(inner)) = nested;
            names(inner, out);
        }
    }

    /// Every attribute of `block` (and of its nested blocks, at any depth) is listed in the doc,
    /// and the doc documents nothing the schema lacks (a list item "- `name` (Type) ...").
    fn assert_documented(doc: &str, block: &Block) {
        let text = std::fs::read_to_string(repo().join(doc)).unwrap();
        let mut listed = Vec::new();
        names(block, &mut listed);
        for name in &listed {
            assert!(
                text.contains(&format!("- `{name}` (")),
                "{doc} does not document `{name}`"
            );
        }
        for line in text.lines() {
            let Some(rest) = line.trim_start().strip_prefix("- `") else {
                continue;
            };
            let Some((name, _)) = rest.split_once("` (") else {
                continue;
            };
            // Attribute names, not the quoted error messages of an Errors list.
            let identifier = name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if identifier {
                assert!(
                    listed.iter().any(|n| n == name),
                    "{doc} documents `{name}`, which the schema does not have"
                );
            }
        }
    }

    /// The doc shows each example file of `folder` as it is (examples are checked by
    /// `terraform fmt`; the docs must not drift from them).
    fn assert_examples_shown(doc: &str, folder: &str) {
        let text = std::fs::read_to_string(repo().join(doc)).unwrap();
        for entry in std::fs::read_dir(repo().join("provider/examples").join(folder)).unwrap() {
            let example = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            assert!(
                text.contains(example.trim_end()),
                "{doc} does not show {folder}'s example as it is"
            );
        }
    }

    #[test]
    fn docs_list_every_attribute_and_show_the_examples_as_they_are() {
        let provider = Inspectorlink::default();
        let mut diags = Diagnostics::default();
        assert_documented("docs/index.md", &provider.schema(&mut diags).unwrap().block);
        assert_examples_shown("docs/index.md", "provider");
        for (name, resource) in provider.get_resources(&mut diags).unwrap() {
            let doc = format!("docs/resources/{name}.md");
            assert_documented(&doc, &resource.schema(&mut diags).unwrap().block);
            assert_examples_shown(&doc, &format!("resources/inspectorlink_{name}"));
        }
        for (name, data_source) in provider.get_data_sources(&mut diags).unwrap() {
            let doc = format!("docs/data-sources/{name}.md");
            assert_documented(&doc, &data_source.schema(&mut diags).unwrap().block);
            assert_examples_shown(&doc, &format!("data-sources/inspectorlink_{name}"));
        }
        assert!(diags.errors.is_empty());
    }
}
