// One libpq session (private to the pg module: pg_backup_start and
// pg_backup_stop must share one; pg check switches WAL through one).
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "source/pg/pg.h"

namespace cairn {

// One libpq session: pg_backup_start and pg_backup_stop must share it.
class PgSession {
 public:
  static Result<std::unique_ptr<PgSession>> connect(const PgConnection& c) {
    std::vector<const char*> keys, values;
    auto add = [&](const char* k, const std::string& v) {
      if (v.empty()) return;
      keys.push_back(k);
      values.push_back(v.c_str());
    };
    add("host", c.host);
    add("port", c.port);
    add("user", c.user);
    add("dbname", c.database);
    const std::string application = "cairn";  // add keeps c_str(): must outlive the connect
    add("application_name", application);
    keys.push_back(nullptr);
    values.push_back(nullptr);
    std::unique_ptr<PgSession> s(new PgSession(PQconnectdbParams(keys.data(), values.data(), 0)));
    if (PQstatus(s->conn_) != CONNECTION_OK) {
      std::string why = PQerrorMessage(s->conn_);
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      return io_error("cannot connect to PostgreSQL: " + why +
                      "; check the stanza's --pg-socket-path/--pg-host, --pg-port and --pg-user");
    }
    return s;
  }
  ~PgSession() { PQfinish(conn_); }

  // The first row of a query's result, column by column.
  Result<std::vector<std::string>> row(const std::string& sql, const std::vector<std::string>& params = {}) {
    std::vector<const char*> p;
    for (const std::string& v : params) p.push_back(v.c_str());
    PGresult* r =
        PQexecParams(conn_, sql.c_str(), static_cast<int>(p.size()), nullptr, p.data(), nullptr, nullptr, 0);
    std::unique_ptr<PGresult, decltype(&PQclear)> guard(r, PQclear);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      std::string why = PQerrorMessage(conn_);
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      return io_error("PostgreSQL refused \"" + sql + "\": " + why);
    }
    if (PQntuples(r) < 1) return io_error("PostgreSQL returned no row for \"" + sql + "\"");
    std::vector<std::string> out;
    for (int i = 0; i < PQnfields(r); ++i) out.emplace_back(PQgetvalue(r, 0, i));
    return out;
  }

 private:
  explicit PgSession(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

// Waits until segment's archive record is in the repository, up to
// timeout_seconds; kIoError then, naming PostgreSQL's last failed archive.
Status wait_until_archived(Repository& repo, PgSession& session, const std::string& stanza,
                           const std::string& segment, double timeout_seconds);

}  // namespace cairn
