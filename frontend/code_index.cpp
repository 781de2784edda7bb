#include "frontend/code_index.h"

#include "frontend/ts_parser.h"

namespace wick {

namespace {

// "code/__torch__/torch/nn/modules/linear.py" -> "__torch__.torch.nn.modules.linear"
std::string module_of(const std::string& path) {
  std::string m = path;
  if (m.rfind("code/", 0) == 0) m = m.substr(5);
  if (m.size() > 3 && m.compare(m.size() - 3, 3, ".py") == 0) m.resize(m.size() - 3);
  for (char& c : m)
    if (c == '/') c = '.';
  return m;
}

}  // namespace

CodeIndex::CodeIndex(const std::map<std::string, std::string>& code_files, const std::string& archive) {
  for (const auto& [path, text] : code_files) {
    auto file = std::make_unique<ts::SourceFile>(ts::parse_torchscript(text, archive + ":" + path));
    const std::string module = module_of(path);
    for (const ts::ClassDef* c : file->classes())
      classes_[module + "." + c->name] = Class{module + "." + c->name, c, file.get()};
    for (const ts::FunctionDef* f : file->functions())
      functions_[module + "." + f->name] = Function{module + "." + f->name, f, file.get()};
    files_.push_back(std::move(file));
  }
}

const CodeIndex::Class* CodeIndex::find_class(const std::string& qualified_name) const {
  auto it = classes_.find(qualified_name);
  return it == classes_.end() ? nullptr : &it->second;
}

const CodeIndex::Function* CodeIndex::find_function(const std::string& qualified_name) const {
  auto it = functions_.find(qualified_name);
  return it == functions_.end() ? nullptr : &it->second;
}

std::optional<CodeIndex::Function> CodeIndex::method(const Class& c, const std::string& name) const {
  for (const ts::StmtPtr& s : c.def->body)
    if (const auto* f = s->get_if<ts::FunctionDef>(); f && f->name == name)
      return Function{c.name + "." + name, f, c.file};
  return std::nullopt;
}

const ts::Expr* CodeIndex::class_constant(const Class& c, const std::string& name) const {
  for (const ts::StmtPtr& s : c.def->body) {
    const auto* a = s->get_if<ts::AssignStmt>();
    if (!a || !a->value) continue;
    if (const auto* n = a->target->get_if<ts::NameExpr>(); n && n->id == name) return a->value.get();
  }
  return nullptr;
}

std::vector<std::string> CodeIndex::string_list(const Class& c, const std::string& name) const {
  std::vector<std::string> out;
  const ts::Expr* e = class_constant(c, name);
  if (!e) return out;
  const auto* l = e->get_if<ts::ListExpr>();
  if (!l) throw c.file->error(e->loc, name + " must be a list of strings");
  for (const ts::ExprPtr& item : l->elts) {
    const auto* s = item->get_if<ts::StringExpr>();
    if (!s) throw c.file->error(item->loc, name + " must be a list of strings");
    out.push_back(s->value);
  }
  return out;
}

}  // namespace wick
