// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Object Storage endpoints: `https://objectstorage.<region>.<realm domain>`.
//!
//! The tables are the OCI SDK's region data (oci 2.189.0, `regions_definitions.py`): short codes
//! such as `iad` are valid in a config file, and each region belongs to a realm with its own domain.

use crate::error::OciError;

/// Short region codes, as accepted in `region=`.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("aga", "us-saltlake-2"),
    ("ahu", "me-abudhabi-3"),
    ("ams", "eu-amsterdam-1"),
    ("arn", "eu-stockholm-1"),
    ("auh", "me-abudhabi-1"),
    ("avf", "eu-crissier-1"),
    ("avz", "eu-dcc-zurich-1"),
    ("beg", "eu-jovanovac-1"),
    ("bgy", "eu-dcc-milan-1"),
    ("bno", "ap-chuncheon-2"),
    ("bog", "sa-bogota-1"),
    ("bom", "ap-mumbai-1"),
    ("brs", "uk-gov-cardiff-1"),
    ("cdg", "eu-paris-1"),
    ("cwl", "uk-cardiff-1"),
    ("dac", "ap-dcc-gazipur-1"),
    ("dln", "ap-suwon-1"),
    ("doh", "me-dcc-doha-1"),
    ("dtm", "eu-dcc-rating-2"),
    ("dtz", "ap-seoul-2"),
    ("dus", "eu-dcc-rating-1"),
    ("dxb", "me-dubai-1"),
    ("ebb", "us-somerset-1"),
    ("ebl", "us-thames-1"),
    ("fra", "eu-frankfurt-1"),
    ("gru", "sa-saopaulo-1"),
    ("hnw", "sa-riodejaneiro-1"),
    ("hsg", "ap-batam-1"),
    ("hyd", "ap-hyderabad-1"),
    ("iad", "us-ashburn-1"),
    ("ibr", "me-ibri-1"),
    ("icn", "ap-seoul-1"),
    ("jbp", "ap-kulai-2"),
    ("jed", "me-jeddah-1"),
    ("jnb", "af-johannesburg-1"),
    ("jsk", "eu-budapest-1"),
    ("kix", "ap-osaka-1"),
    ("lej", "af-casablanca-1"),
    ("lfi", "us-langley-1"),
    ("lhr", "uk-london-1"),
    ("lin", "eu-milan-1"),
    ("ltn", "uk-gov-london-1"),
    ("luf", "us-luke-1"),
    ("mad", "eu-madrid-1"),
    ("mct", "me-dcc-muscat-1"),
    ("mel", "ap-melbourne-1"),
    ("mrs", "eu-marseille-1"),
    ("mty", "mx-monterrey-1"),
    ("mtz", "il-jerusalem-1"),
    ("mxp", "eu-dcc-milan-2"),
    ("nja", "ap-chiyoda-1"),
    ("nrq", "eu-turin-1"),
    ("nrt", "ap-tokyo-1"),
    ("onm", "ap-delhi-1"),
    ("ord", "us-chicago-1"),
    ("orf", "eu-madrid-3"),
    ("ork", "eu-dcc-dublin-1"),
    ("pgc", "us-newark-1"),
    ("phx", "us-phoenix-1"),
    ("pia", "us-gov-chicago-1"),
    ("qro", "mx-queretaro-1"),
    ("rba", "me-alain-1"),
    ("ric", "us-gov-ashburn-1"),
    ("rkt", "me-abudhabi-2"),
    ("ruh", "me-riyadh-1"),
    ("scl", "sa-santiago-1"),
    ("shj", "me-abudhabi-4"),
    ("sin", "ap-singapore-1"),
    ("sjc", "us-sanjose-1"),
    ("snn", "eu-dcc-dublin-2"),
    ("str", "eu-frankfurt-2"),
    ("syd", "ap-sydney-1"),
    ("tus", "us-gov-phoenix-1"),
    ("ukb", "ap-ibaraki-1"),
    ("vap", "sa-valparaiso-1"),
    ("vcp", "sa-vinhedo-1"),
    ("vll", "eu-madrid-2"),
    ("vve", "me-alrayyan-1"),
    ("wga", "ap-dcc-canberra-1"),
    ("xsp", "ap-singapore-2"),
    ("yny", "ap-chuncheon-1"),
    ("yul", "ca-montreal-1"),
    ("yxj", "us-ashburn-2"),
    ("yyz", "ca-toronto-1"),
    ("zrh", "eu-zurich-1"),
];

/// Region to realm.
const REGION_REALMS: &[(&str, &str)] = &[
    ("af-casablanca-1", "oc1"),
    ("af-johannesburg-1", "oc1"),
    ("ap-batam-1", "oc1"),
    ("ap-chiyoda-1", "oc8"),
    ("ap-chuncheon-1", "oc1"),
    ("ap-chuncheon-2", "oc35"),
    ("ap-dcc-canberra-1", "oc10"),
    ("ap-dcc-gazipur-1", "oc15"),
    ("ap-delhi-1", "oc1"),
    ("ap-hyderabad-1", "oc1"),
    ("ap-ibaraki-1", "oc8"),
    ("ap-kulai-2", "oc1"),
    ("ap-melbourne-1", "oc1"),
    ("ap-mumbai-1", "oc1"),
    ("ap-osaka-1", "oc1"),
    ("ap-seoul-1", "oc1"),
    ("ap-seoul-2", "oc35"),
    ("ap-singapore-1", "oc1"),
    ("ap-singapore-2", "oc1"),
    ("ap-suwon-1", "oc35"),
    ("ap-sydney-1", "oc1"),
    ("ap-tokyo-1", "oc1"),
    ("ca-montreal-1", "oc1"),
    ("ca-toronto-1", "oc1"),
    ("eu-amsterdam-1", "oc1"),
    ("eu-budapest-1", "oc51"),
    ("eu-crissier-1", "oc24"),
    ("eu-dcc-dublin-1", "oc14"),
    ("eu-dcc-dublin-2", "oc14"),
    ("eu-dcc-milan-1", "oc14"),
    ("eu-dcc-milan-2", "oc14"),
    ("eu-dcc-rating-1", "oc14"),
    ("eu-dcc-rating-2", "oc14"),
    ("eu-dcc-zurich-1", "oc24"),
    ("eu-frankfurt-1", "oc1"),
    ("eu-frankfurt-2", "oc19"),
    ("eu-jovanovac-1", "oc20"),
    ("eu-madrid-1", "oc1"),
    ("eu-madrid-2", "oc19"),
    ("eu-madrid-3", "oc1"),
    ("eu-marseille-1", "oc1"),
    ("eu-milan-1", "oc1"),
    ("eu-paris-1", "oc1"),
    ("eu-stockholm-1", "oc1"),
    ("eu-turin-1", "oc1"),
    ("eu-zurich-1", "oc1"),
    ("il-jerusalem-1", "oc1"),
    ("me-abudhabi-1", "oc1"),
    ("me-abudhabi-2", "oc29"),
    ("me-abudhabi-3", "oc26"),
    ("me-abudhabi-4", "oc29"),
    ("me-alain-1", "oc26"),
    ("me-alrayyan-1", "oc21"),
    ("me-dcc-doha-1", "oc21"),
    ("me-dcc-muscat-1", "oc9"),
    ("me-dubai-1", "oc1"),
    ("me-ibri-1", "oc9"),
    ("me-jeddah-1", "oc1"),
    ("me-riyadh-1", "oc1"),
    ("mx-monterrey-1", "oc1"),
    ("mx-queretaro-1", "oc1"),
    ("sa-bogota-1", "oc1"),
    ("sa-riodejaneiro-1", "oc52"),
    ("sa-santiago-1", "oc1"),
    ("sa-saopaulo-1", "oc1"),
    ("sa-valparaiso-1", "oc1"),
    ("sa-vinhedo-1", "oc1"),
    ("uk-cardiff-1", "oc1"),
    ("uk-gov-cardiff-1", "oc4"),
    ("uk-gov-london-1", "oc4"),
    ("uk-london-1", "oc1"),
    ("us-ashburn-1", "oc1"),
    ("us-ashburn-2", "oc42"),
    ("us-chicago-1", "oc1"),
    ("us-gov-ashburn-1", "oc3"),
    ("us-gov-chicago-1", "oc3"),
    ("us-gov-phoenix-1", "oc3"),
    ("us-langley-1", "oc2"),
    ("us-luke-1", "oc2"),
    ("us-newark-1", "oc42"),
    ("us-phoenix-1", "oc1"),
    ("us-saltlake-2", "oc1"),
    ("us-sanjose-1", "oc1"),
    ("us-somerset-1", "oc23"),
    ("us-thames-1", "oc23"),
];

/// Realm to domain.
const REALM_DOMAINS: &[(&str, &str)] = &[
    ("oc1", "oraclecloud.com"),
    ("oc10", "oraclecloud10.com"),
    ("oc14", "oraclecloud14.com"),
    ("oc15", "oraclecloud15.com"),
    ("oc19", "oraclecloud.eu"),
    ("oc2", "oraclegovcloud.com"),
    ("oc20", "oraclecloud20.com"),
    ("oc21", "oraclecloud21.com"),
    ("oc23", "oraclecloud23.com"),
    ("oc24", "oraclecloud24.com"),
    ("oc26", "oraclecloud26.com"),
    ("oc29", "oraclecloud29.com"),
    ("oc3", "oraclegovcloud.com"),
    ("oc35", "oraclecloud35.com"),
    ("oc4", "oraclegovcloud.uk"),
    ("oc42", "oraclecloud42.com"),
    ("oc51", "oraclecloud51.com"),
    ("oc52", "oraclecloud52.com"),
    ("oc8", "oraclecloud8.com"),
    ("oc9", "oraclecloud9.com"),
];

fn lookup<'a>(table: &'a [(&str, &'a str)], key: &str) -> Option<&'a str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// The full region name for a region or short code (`iad` -> `us-ashburn-1`).
pub fn canonical(region: &str) -> String {
    let r = region.trim().to_lowercase();
    lookup(SHORT_NAMES, &r).map(str::to_string).unwrap_or(r)
}

/// Checks that `region` has the shape of an OCI region name or short code: lowercase ASCII
/// letters and digits in dash-separated words (`us-ashburn-1`, `iad`), one DNS label at most.
/// It becomes part of the endpoint's host name, where `#`, `?`, `@`, `/` or `:` would send the
/// signed requests to another host.
pub fn check(region: &str) -> Result<String, OciError> {
    let bad = |why: &str| {
        Err(OciError::Config(format!(
            "invalid region {region:?}: {why}; a region looks like us-ashburn-1 (or its short code, iad)"
        )))
    };
    let trimmed = region.trim();
    if trimmed.is_empty() {
        return bad("it is empty");
    }
    if trimmed.len() > 63 {
        return bad("it is longer than 63 characters");
    }
    if !trimmed
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return bad("only letters, digits and '-' are allowed");
    }
    let canonical = canonical(trimmed);
    if !canonical.starts_with(|c: char| c.is_ascii_lowercase())
        || canonical.ends_with('-')
        || canonical.contains("--")
    {
        return bad("it must start with a letter and be words joined by single dashes");
    }
    Ok(canonical)
}

/// The Object Storage endpoint of a region. Unknown regions are taken to be in the commercial
/// realm (oraclecloud.com), as the SDK does. The URL is parsed back and its host compared with
/// the one intended, so nothing in the region can point it elsewhere.
pub fn object_storage_endpoint(region: &str) -> Result<String, OciError> {
    let region = check(region)?;
    let domain = lookup(REGION_REALMS, &region)
        .and_then(|realm| lookup(REALM_DOMAINS, realm))
        .unwrap_or("oraclecloud.com");
    let host = format!("objectstorage.{region}.{domain}");
    let url = format!("https://{host}");
    let parsed = reqwest::Url::parse(&url).ok();
    let same_host = parsed.as_ref().is_some_and(|u| {
        u.host_str() == Some(host.as_str())
            && u.port().is_none()
            && u.username().is_empty()
            && u.path() == "/"
            && u.query().is_none()
            && u.fragment().is_none()
    });
    if !same_host {
        return Err(OciError::Config(format!(
            "invalid region {region:?}: the endpoint {url} does not have the host {host}"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object_storage_endpoint_ok(region: &str) -> String {
        object_storage_endpoint(region).unwrap()
    }

    #[test]
    fn endpoints_by_realm() {
        assert_eq!(
            object_storage_endpoint_ok("us-ashburn-1"),
            "https://objectstorage.us-ashburn-1.oraclecloud.com"
        );
        assert_eq!(
            object_storage_endpoint_ok("IAD"),
            "https://objectstorage.us-ashburn-1.oraclecloud.com"
        );
        assert_eq!(
            object_storage_endpoint_ok("eu-frankfurt-1"),
            "https://objectstorage.eu-frankfurt-1.oraclecloud.com"
        );
        assert_eq!(
            object_storage_endpoint_ok("uk-gov-london-1"),
            "https://objectstorage.uk-gov-london-1.oraclegovcloud.uk"
        );
        assert_eq!(
            object_storage_endpoint_ok("us-langley-1"),
            "https://objectstorage.us-langley-1.oraclegovcloud.com"
        );
        assert_eq!(
            object_storage_endpoint_ok("new-region-9"),
            "https://objectstorage.new-region-9.oraclecloud.com"
        );
    }

    #[test]
    fn regions_cannot_redirect_the_endpoint() {
        for region in [
            "evil.example#",
            "evil.example?",
            "user@evil.example",
            "evil.example/x",
            "evil.example:8443",
            "us-ashburn-1#.evil.example",
            "us-ashburn-1?x=",
            "x@evil.example/",
            "us-ashburn-1/../",
            "us-ashburn-1:443",
            "evil.example",
            "us ashburn 1",
            "us-ash\nburn-1",
            "",
            "-us-ashburn-1",
            "us--ashburn-1",
            "us-ashburn-",
            "1-region",
            "us-\u{212a}ashburn-1",
        ] {
            let err = object_storage_endpoint(region)
                .expect_err(region)
                .to_string();
            assert!(err.contains("invalid region"), "{region:?}: {err}");
        }
        let long = format!("a{}", "-b".repeat(40));
        assert!(object_storage_endpoint(&long).is_err());
        assert_eq!(
            object_storage_endpoint(" us-ashburn-1 ").unwrap(),
            "https://objectstorage.us-ashburn-1.oraclecloud.com"
        );
        assert_eq!(
            object_storage_endpoint("ap-dcc-gazipur-1").unwrap(),
            "https://objectstorage.ap-dcc-gazipur-1.oraclecloud15.com"
        );
    }
}
