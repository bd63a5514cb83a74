//! Checks of seeding, rendering and publishing editions.

use super::*;
use crate::testing;

#[test]
fn raw_html_is_escaped() {
    let html = render_markdown("# T\n\n<script>alert(1)</script>");
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;"));
}

#[test]
fn every_seeded_text_is_a_valid_edition() {
    for (kind, language, source) in SEEDS {
        assert_eq!(check_source(source), Ok(()), "{kind:?} {language}");
    }
}

#[test]
fn malformed_texts_are_refused_with_a_reason() {
    assert_eq!(check_source("  \n"), Err(PublishError::Empty));
    assert_eq!(check_source("No title\n\ntext"), Err(PublishError::NoTitle));
    assert!(matches!(
        check_source("# T\n\n<b>bold</b>"),
        Err(PublishError::RawHtml(_))
    ));
}

fn edition(language: &str, edition: Option<u32>, at: DateTime<Utc>) -> NewEdition {
    NewEdition {
        document: "privacy-policy".into(),
        language: language.into(),
        edition,
        effective_from: at,
        source: "# Политика\n\nТекст второй редакции.".into(),
        published_by: "Юрист".into(),
    }
}

#[tokio::test]
async fn a_scheduled_edition_takes_effect_at_its_moment() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::storage::connect(&testing::sqlite_url(dir.path()))
        .await
        .unwrap();
    let now = first_edition_effective() + chrono::Duration::days(1);
    seed(store.as_ref(), now).await.unwrap();
    assert_eq!(
        seed(store.as_ref(), now).await.unwrap(),
        0,
        "seeding is idempotent"
    );
    let documents = Documents::load(store.clone(), std::sync::Arc::new(Utc::now))
        .await
        .unwrap();

    let later = now + chrono::Duration::hours(2);
    let number = publish(&documents, edition("ru", None, later), now)
        .await
        .unwrap();
    assert_eq!(number, 2);
    let library = documents.library();
    let before = library.in_force(now).unwrap();
    assert_eq!(
        before.privacy_policy.edition, 1,
        "invisible before its time"
    );
    assert!(
        library
            .document(DocumentKind::PrivacyPolicy, Some(2), "ru", now)
            .is_none()
    );
    let after = library.in_force(later).unwrap();
    assert_eq!(after.privacy_policy.edition, 2);
    assert_eq!(after.user_agreement.edition, 1);

    // Edition 2 has no Kyrgyz text yet: the Russian one is shown.
    let shown = library
        .document(DocumentKind::PrivacyPolicy, None, "ky", later)
        .unwrap();
    assert_eq!((shown.edition, shown.language.as_str()), (2, "ru"));
    let old = library
        .document(DocumentKind::PrivacyPolicy, Some(1), "ky", later)
        .unwrap();
    assert_eq!(old.language, "ky");
    assert_eq!(old.superseded_at, Some(later));

    // A translation joins its edition and takes effect with it.
    assert_eq!(
        publish(&documents, edition("ky", Some(2), now), now).await,
        Ok(2)
    );
    let shown = documents
        .library()
        .document(DocumentKind::PrivacyPolicy, None, "ky", later)
        .unwrap();
    assert_eq!(
        (shown.edition, shown.language.as_str()),
        (2, "ky"),
        "the publishing server sees its edition at once"
    );
    assert_eq!(
        publish(&documents, edition("ky", Some(2), now), now).await,
        Err(PublishError::Exists {
            edition: 2,
            language: "ky".into()
        })
    );
    assert_eq!(
        publish(&documents, edition("en", None, later), now).await,
        Err(PublishError::NewEditionNotInRussian)
    );
    assert_eq!(
        publish(&documents, edition("en", Some(9), later), now).await,
        Err(PublishError::NoSuchEdition(9))
    );
    assert_eq!(
        publish(&documents, edition("ru", None, now), now).await,
        Err(PublishError::OutOfOrder(now))
    );
}

#[tokio::test]
async fn an_edition_stored_elsewhere_reaches_the_library_when_the_stamp_moves() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::storage::connect(&testing::sqlite_url(dir.path()))
        .await
        .unwrap();
    let now = first_edition_effective() + chrono::Duration::days(1);
    seed(store.as_ref(), now).await.unwrap();
    let documents = Documents::load(store.clone(), std::sync::Arc::new(Utc::now))
        .await
        .unwrap();
    assert!(!documents.refresh().await.unwrap(), "nothing changed yet");

    // Another server (or the publish command) writes straight to the database.
    let other = Documents::load(store.clone(), std::sync::Arc::new(Utc::now))
        .await
        .unwrap();
    publish(&other, edition("ru", None, now), now)
        .await
        .unwrap();
    assert_eq!(
        documents
            .library()
            .in_force(now)
            .unwrap()
            .privacy_policy
            .edition,
        1,
        "not seen before a refresh"
    );
    assert!(documents.refresh().await.unwrap());
    assert_eq!(
        documents
            .library()
            .in_force(now)
            .unwrap()
            .privacy_policy
            .edition,
        2
    );

    // The watch does the same on its own.
    let watched = Documents::load(store.clone(), std::sync::Arc::new(Utc::now))
        .await
        .unwrap();
    let watch = watched.watch(std::time::Duration::from_millis(100));
    publish(&other, edition("ky", Some(2), now), now)
        .await
        .unwrap();
    let seen = async {
        loop {
            let library = watched.library();
            let shown = library.document(DocumentKind::PrivacyPolicy, None, "ky", now);
            if shown.is_some_and(|d| d.language == "ky") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), seen)
        .await
        .expect("the watch reloads within its interval");
    watch.abort();
}
