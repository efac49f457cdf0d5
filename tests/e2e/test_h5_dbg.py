def test_dbg(window):
    for d in (window.annotations_dock, window.passages_dock, window.claims_ui.matrix_dock):
        print(d.objectName(), d.minimumSizeHint(), d.widget().minimumSizeHint())
    m = window.claims_ui.matrix
    print("table", m.table.minimumSizeHint(), "empty", m.empty_label.minimumSizeHint(), m.summary.minimumSizeHint())
