-- netmon's database, version 3 (issue 10): an index of the three-character pieces of every
-- connection's search text (connections.search, "192.0.2.10 443 10.0.0.11 35410"), so that
-- /connections.json?q= finds the few connections a rare substring names without reading the
-- text of all of them.
--
-- SQLite's own FTS5 with its trigram tokenizer. Contentless (the text is connections.search)
-- and detail=none (rowids only, no positions): the smallest such index. A query ANDs the
-- trigrams of q (webui/search_terms.h), which finds every connection whose text holds q and
-- a few more whose text holds each trigram somewhere; the reader checks the text itself.
CREATE VIRTUAL TABLE connection_search USING fts5(
    search, content = '', detail = none, tokenize = 'trigram case_sensitive 1');
INSERT INTO connection_search (rowid, search) SELECT id, search FROM connections;

-- Kept by the database itself: every way a row comes and goes updates the index, and a
-- contentless table must be told the text a row had to forget it.
CREATE TRIGGER connection_search_insert AFTER INSERT ON connections BEGIN
    INSERT INTO connection_search (rowid, search) VALUES (NEW.id, NEW.search);
END;
CREATE TRIGGER connection_search_delete AFTER DELETE ON connections BEGIN
    INSERT INTO connection_search (connection_search, rowid, search) VALUES ('delete', OLD.id, OLD.search);
END;
-- The ingest never changes a row's key, but whoever does keeps the index true.
CREATE TRIGGER connection_search_update AFTER UPDATE OF id, src_ip, src_port, dst_ip, dst_port ON connections BEGIN
    INSERT INTO connection_search (connection_search, rowid, search) VALUES ('delete', OLD.id, OLD.search);
    INSERT INTO connection_search (rowid, search) VALUES (NEW.id, NEW.search);
END;

-- Its place is taken: a q of one or two characters, which the trigrams cannot look up, reads
-- connections_by_key, which holds the same four fields.
DROP INDEX connections_by_search;
