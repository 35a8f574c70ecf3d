# EmbedFile.cmake - Write the bytes of INPUT to OUTPUT as a C initializer list
# ("0x2f,0x2f,..."), so that a source file can #include them into an array.
# Usage: cmake -DINPUT=schema/model.fbs -DOUTPUT=ModelSchema.inc -P EmbedFile.cmake
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# Break the list into lines of 16 bytes to keep the file readable.
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp" "${bytes}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
