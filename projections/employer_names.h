// Employer names beside numbers, for every view a person reads.
//
// Contract. An EmployerNameOf gives the name to show for an employer key
// (employer_key(): an enterprise number, or an NSSO number tagged, which has
// no name in the register), or nothing; an empty function means no names
// (the ledger has no employer reference, or the view is an export, whose
// bytes must not depend on one). Views take one as their last to_json
// argument, defaulting to none, and write "<role>Name" beside the number
// only when a name is known. employer_register.h makes one from the
// register (EmployerRegister, in the language of the request).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dimona {

using EmployerNameOf = std::function<std::optional<std::string>(uint64_t employer)>;

class JsonWriter;
// Writes "<key>":"<name>" into the open object when `names` knows the employer.
void write_employer_name(JsonWriter& w, std::string_view key, uint64_t employer, const EmployerNameOf& names);

}  // namespace dimona
