//! The clerical review queue in headless Chromium: a supervisor finds a near-miss arrest from
//! the navigation, searches for it, reads both records side by side and confirms the pair;
//! then refits the model. Screenshots: `target/browser-screenshots/20-…` to `23-…`.

use super::chrome::{browser, click, css, fill, sign_in, snap, start_driver, submit, text_of};
use crate::helpers::spawn_sqlite;
use crate::linkage_pages::near_misses;
use fantoccini::Locator;

#[tokio::test]
async fn a_supervisor_confirms_a_near_miss_arrest_side_by_side() {
    let Some(driver) = start_driver() else { return };
    let server = spawn_sqlite().await;
    near_misses(&server, 3).await;
    let c = browser(&driver).await;

    sign_in(&c, &server, "supervisor").await;
    click(&c, "nav a[href='/linkage/reviews']").await;
    assert_eq!(
        text_of(&c, "[data-testid=pending-count]").await,
        "4 pairs waiting"
    );
    snap(&c, "20-clerical-queue").await;

    // Search by the person's family name, then open the first pair.
    fill(&c, "q", "whitfield").await;
    submit(&c, "[data-testid=search] button[type=submit]").await;
    let rows = c
        .find_all(Locator::Css("[data-testid=pair]"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 3, "only Jordan's pairs");
    submit(&c, "[data-testid=pair] a.button").await;

    // Both records side by side, with each field's level and weight.
    let comparison = text_of(&c, "[data-testid=comparison]").await;
    for text in [
        "Jordon",
        "Jordan",
        "Whitford",
        "Whitfield",
        "Date of birth",
        "The same",
    ] {
        assert!(comparison.contains(text), "{text} in {comparison}");
    }
    let fields = c
        .find_all(Locator::Css("[data-testid=field]"))
        .await
        .expect("fields");
    assert_eq!(fields.len(), 5);
    let probability = text_of(&c, "[data-testid=match-probability]").await;
    assert!(probability.ends_with('%'), "{probability}");
    snap(&c, "21-clerical-pair").await;

    // Confirm, with a reason.
    fill(&c, "decision", "confirm").await;
    fill(
        &c,
        "reason",
        "Same date of birth; the arrest misspelt both names",
    )
    .await;
    submit(&c, "[data-testid=decide]").await;
    assert_eq!(
        text_of(&c, "[data-testid=decision-status]").await,
        "Confirmed: the same person"
    );
    let decided = text_of(&c, "[data-testid=decided]").await;
    assert!(decided.contains("Test supervisor"), "{decided}");
    assert!(decided.contains("misspelt both names"), "{decided}");
    c.execute(
        "document.querySelector('[data-testid=decided]').scrollIntoView()",
        vec![],
    )
    .await
    .expect("scroll");
    snap(&c, "22-clerical-confirmed").await;

    // Back to the queue: one fewer; refit the model from the decision.
    click(&c, "[data-testid=next-pair]").await;
    assert_eq!(
        text_of(&c, "[data-testid=pending-count]").await,
        "3 pairs waiting"
    );
    css(&c, "[data-testid=refit]").await;
    submit(&c, "[data-testid=refit]").await;
    assert_eq!(text_of(&c, "[data-testid=model-version]").await, "2");
    snap(&c, "23-clerical-refitted").await;
    c.close().await.expect("close");
}
