-- netmon's database, version 3 (issue 10): an index of the three-character pieces of every
-- connection's search text (connections.search, "192.0.2.10 443 10.0.0.11 35410"), so that
-- /connections.json?q= finds the few connections a rare substring names without reading the
-- text of all of them.
--
-- SQLite's own FTS5 with its trigram tokenizer. Contentless (the text is connections.search)
-- and detail=none (rowids only, no positions): the smallest such index. A query ANDs the
-- trigrams of q (common/include/netmon/connection_search.h), which finds every connection whose text holds q and
-- a few more whose text holds each trigram somewhere; the reader checks the text itself.
CREATE VIRTUAL TABLE connection_search USING fts5(
    search, content = '', detail = none, tokenize = 'trigram case_sensitive 1');

-- What the index has yet to learn, kept by triggers, so that every way a row comes and goes
-- is noted, and applied by the ingest in one statement a cycle (Store::index_search): FTS5
-- writes what it holds in memory at the end of every statement, so one statement per row (a
-- trigger writing the index itself) costs ten times as much.
--
-- Rows to index: ids of connections rows not in connection_search yet.
CREATE TABLE search_added (id INTEGER PRIMARY KEY);
-- Rows to forget: ids in connection_search whose row is gone or changed its text, with the
-- text the index has for them (a contentless index must be told it to forget it).
CREATE TABLE search_removed (id INTEGER PRIMARY KEY, search TEXT NOT NULL);

CREATE TRIGGER search_note_insert AFTER INSERT ON connections BEGIN
    INSERT OR IGNORE INTO search_added (id) VALUES (NEW.id);
END;
-- A row not indexed yet is simply not indexed; an indexed one is forgotten (once: a reused id
-- deleted again is a row the index never had).
CREATE TRIGGER search_note_delete AFTER DELETE ON connections BEGIN
    INSERT OR IGNORE INTO search_removed (id, search)
        SELECT OLD.id, OLD.search WHERE NOT EXISTS (SELECT 1 FROM search_added WHERE id = OLD.id);
    DELETE FROM search_added WHERE id = OLD.id;
END;
-- The ingest never changes a row's key, but whoever does keeps the index true.
CREATE TRIGGER search_note_update AFTER UPDATE OF id, src_ip, src_port, dst_ip, dst_port ON connections BEGIN
    INSERT OR IGNORE INTO search_removed (id, search)
        SELECT OLD.id, OLD.search WHERE NOT EXISTS (SELECT 1 FROM search_added WHERE id = OLD.id);
    DELETE FROM search_added WHERE id = OLD.id;
    INSERT OR IGNORE INTO search_added (id) VALUES (NEW.id);
END;

-- Every row there is, to be indexed by the ingest's next cycles.
INSERT INTO search_added (id) SELECT id FROM connections;

-- Its place is taken: a q of one or two characters, which trigrams cannot look up, reads
-- connections_by_key, which holds the same four fields.
DROP INDEX connections_by_search;
