//! `checkpoint import arrests`: bad rows named and written to FEED.rejects.csv with the good
//! rows imported; `--all-or-nothing` imports nothing; the same file twice adds nothing.

use crate::{checkpoint, stderr, stdout};

const FEED: &str = "arrest_ref,given_name,surname,dob,postcode,pnc_id,arrest_date,offence\n\
                    A1,Ann,Smith,03/04/1990,QX1 1AA,,2026-01-02,theft\n\
                    A2,Bob,Jones,31/02/1990,QX1 1AA,,2026-01-02,theft\n\
                    A3,Cy,Lee,1990-04-03,QX1 1AA\n\
                    A4,Di,Quinn,,QX2 2BB,,2026-01-03,assault\n";

#[test]
fn bad_rows_go_to_the_rejects_file_and_the_good_rows_are_imported_once() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.csv");
    std::fs::write(&feed, FEED).unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let import = |extra: &[&str]| {
        let mut args = vec![
            "--database",
            &db,
            "import",
            "arrests",
            feed.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        checkpoint(&args)
    };

    let refused = import(&["--all-or-nothing"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("nothing imported"),
        "{}",
        stderr(&refused)
    );

    let run = import(&[]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("line 3, column dob: not a date"),
        "{}",
        stderr(&run)
    );
    assert!(stdout(&run).contains("2 rejected"), "{}", stdout(&run));
    assert!(stdout(&run).contains("2 new"), "{}", stdout(&run));
    let rejects = std::fs::read_to_string(dir.path().join("feed.rejects.csv")).unwrap();
    let lines: Vec<&str> = rejects.lines().collect();
    assert_eq!(lines.len(), 3, "{rejects}");
    assert!(lines[0].starts_with("line,column,reason,arrest_ref"));
    assert!(lines[1].starts_with("3,dob,not a date"), "{rejects}");
    assert!(lines[2].starts_with("4,pnc_id,\"missing"), "{rejects}");

    let again = import(&[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("2 already imported"),
        "{}",
        stdout(&again)
    );
    assert!(stdout(&again).contains("0 new"), "{}", stdout(&again));
}
