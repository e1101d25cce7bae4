# Builds the seed corpora (cmake -P): SPEC_DIR (wast2json output),
# SOURCE_DIR, OUT. Generated, never committed.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT}/wasm ${OUT}/text ${OUT}/hypercall ${OUT}/grpc)  # hypercall: grown from nothing
file(GLOB_RECURSE modules ${SPEC_DIR}/*.wasm)
foreach(m ${modules})
  file(SHA1 ${m} digest)
  file(COPY_FILE ${m} ${OUT}/wasm/${digest})
endforeach()
file(GLOB texts ${SOURCE_DIR}/policy/*.textproto ${SOURCE_DIR}/policy/seccomp/*.textproto
     ${SOURCE_DIR}/examples/*.textproto)
foreach(t ${texts})
  get_filename_component(name ${t} NAME)
  file(COPY_FILE ${t} ${OUT}/text/${name})
endforeach()
