//===- ModelDescription.cpp - Read and write the model schema -------------===//
//
// Binary `.kmodel` files are checked with the generated FlatBuffers verifier
// before anything reads them; the JSON text form is parsed by
// flatbuffers::Parser against the schema text built into the compiler, and
// the buffer it builds goes through the same verifier and unpacking. (The
// JSON writer is in ModelJsonWriter.cpp.)
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/ModelDescription.h"
#include "kiln/Frontend/Errors.h"
#include "kiln/Frontend/FormatDetection.h"

#include "flatbuffers/idl.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <vector>

using namespace llvm;
using namespace kiln;

namespace {
/// The text of schema/model.fbs, NUL-terminated.
const char modelSchemaText[] = {
#include "ModelSchema.inc"
    0};

/// Largest buffer FlatBuffers can address.
constexpr size_t maxBufferSize = 0x7fffffff;
} // namespace

StringRef kiln::getModelSchemaText() {
  return StringRef(modelSchemaText, sizeof(modelSchemaText) - 1);
}

bool kiln::hasKModelIdentifier(StringRef contents) {
  return contents.size() >= 8 && contents.substr(4, 4) == fb::ModelIdentifier();
}

/// Verifies the FlatBuffer in `bytes` (suitably aligned) and unpacks it.
static Expected<std::unique_ptr<fb::ModelT>>
verifyAndUnpack(const std::vector<uint8_t> &bytes, StringRef file,
                StringRef what) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!fb::VerifyModelBuffer(verifier))
    return makeFrontendError(file, what,
                             "truncated or corrupt model description (" +
                                 Twine(bytes.size()) +
                                 " bytes): the FlatBuffers verifier rejected "
                                 "it");
  return std::unique_ptr<fb::ModelT>(fb::GetModel(bytes.data())->UnPack());
}

Expected<std::unique_ptr<fb::ModelT>> kiln::readKModel(StringRef contents,
                                                       StringRef file) {
  if (!hasKModelIdentifier(contents))
    return makeFrontendError(file, "header",
                             "not a binary Kiln model: expected the "
                             "identifier \"KILN\" at byte 4");
  if (contents.size() > maxBufferSize)
    return makeFrontendError(file, "header", "binary model larger than 2 GiB");
  // The verifier checks alignment: copy into storage that new[] aligned.
  std::vector<uint8_t> bytes(contents.bytes_begin(), contents.bytes_end());
  return verifyAndUnpack(bytes, file, "kmodel");
}

/// Rewrites the first error of a flatbuffers::Parser, `L: C: error: msg`
/// (the parser is given no file name), as `file: line L, column C: msg`.
static Error parserError(StringRef file, StringRef log) {
  SmallVector<StringRef> lines;
  log.split(lines, '\n', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  constexpr StringLiteral marker = ": error: ";
  for (StringRef line : lines) {
    size_t at = line.find(marker);
    if (at == StringRef::npos)
      continue; // A warning.
    StringRef message = line.drop_front(at + marker.size());
    auto [lineText, columnText] = line.take_front(at).split(": ");
    unsigned lineNo = 0, column = 0;
    if (lineText.trim().getAsInteger(10, lineNo) ||
        columnText.trim().getAsInteger(10, column))
      return makeFrontendError(file, "schema JSON", message);
    // The parser counts columns from 0, at the end of the token it was
    // reading; report them 1-based.
    return makeFrontendError(file, textPlace(lineNo, column + 1), message);
  }
  return makeFrontendError(file, "schema JSON", log.trim());
}

/// Returns a parser that has read the built-in schema.
static Expected<std::unique_ptr<flatbuffers::Parser>> makeSchemaParser() {
  auto parser = std::make_unique<flatbuffers::Parser>();
  if (!parser->Parse(modelSchemaText, nullptr, nullptr))
    return createStringError(inconvertibleErrorCode(),
                             "internal error: the built-in model schema does "
                             "not parse: " +
                                 parser->error_);
  return std::move(parser);
}

Expected<std::unique_ptr<fb::ModelT>> kiln::parseModelJson(StringRef contents,
                                                           StringRef file) {
  size_t nul = contents.find('\0');
  if (nul != StringRef::npos)
    return makeFrontendError(file, "byte " + Twine(nul),
                             "unexpected NUL byte in a JSON file");
  // Without a leading '{' the parser would read the text as schema
  // declarations.
  if (!skipJsonPreamble(contents).starts_with("{"))
    return makeFrontendError(file, textPlace(1, 1),
                             "expected a JSON object ('{')");
  // The parser does not expect a byte order mark; blank it out so that
  // columns stay where they are.
  std::string source = contents.str();
  if (StringRef(source).starts_with("\xEF\xBB\xBF"))
    source.replace(0, 3, "   ");

  Expected<std::unique_ptr<flatbuffers::Parser>> parser = makeSchemaParser();
  if (!parser)
    return parser.takeError();
  // The parser reads a NUL-terminated string and keeps the root table it
  // finds in its builder.
  if (!(*parser)->Parse(source.c_str(), nullptr, nullptr))
    return parserError(file, (*parser)->error_);

  const flatbuffers::FlatBufferBuilder &builder = (*parser)->builder_;
  if (builder.GetSize() == 0)
    return makeFrontendError(file, textPlace(1, 1), "expected a model object");
  std::vector<uint8_t> bytes(builder.GetBufferPointer(),
                             builder.GetBufferPointer() + builder.GetSize());
  return verifyAndUnpack(bytes, file, "schema JSON");
}

void kiln::writeKModel(const fb::ModelT &model, raw_ostream &os) {
  flatbuffers::FlatBufferBuilder builder;
  fb::FinishModelBuffer(builder, fb::Model::Pack(builder, &model));
  os.write(reinterpret_cast<const char *>(builder.GetBufferPointer()),
           builder.GetSize());
}
