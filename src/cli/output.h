// Tables for people, as kubectl and velero print them: upper-case headers,
// columns separated by at least two spaces.
#pragma once

#include <string>
#include <vector>

namespace cairn {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render() const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Makes raw file-name bytes printable: invalid UTF-8 bytes become \xNN.
std::string printable_path(const std::string& raw);

}  // namespace cairn
