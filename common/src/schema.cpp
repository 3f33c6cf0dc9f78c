#include "netmon/schema.h"

#include "netmon/database.h"
#include "schema_sql.h"

namespace netmon {

int latest_schema_version() { return schema_migrations.back().version; }

int check_schema(Database& db) {
    int version = static_cast<int>(db.pragma_int("user_version"));
    if (version > latest_schema_version()) {
        throw SchemaError(db.path() + ": database schema version " + std::to_string(version) +
                          " is newer than this netmon knows (" + std::to_string(latest_schema_version()) +
                          "); upgrade netmon or move the database away");
    }
    if (version == 0 && db.pragma_int("page_count") > 0) {
        Statement tables = db.prepare("SELECT count(*) FROM sqlite_schema");
        if (tables.step() && tables.column_int(0) > 0)
            throw SchemaError(db.path() + ": not a netmon database (it has tables but no netmon schema version)");
    }
    return version;
}

void migrate(Database& db) {
    int version = check_schema(db);
    for (const auto& migration : schema_migrations) {
        if (migration.version <= version) continue;
        Transaction transaction(db);
        db.execute(migration.sql);
        db.execute("PRAGMA user_version = " + std::to_string(migration.version));
        transaction.commit();
    }
}

}  // namespace netmon
