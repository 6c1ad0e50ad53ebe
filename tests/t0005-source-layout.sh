#!/bin/sh
# The shape of src/ that src/README.md draws: folders as layers, every
# include pointing down them, no include or call circle between modules,
# no file over 700 lines (tests/lib/layout.py checks it).
. "$(dirname "$0")/lib/test-lib.sh"

layout="$BUILD_DIR/tests/lib/layout.py"

test_expect_success 'src/ follows the layers of src/README.md, without circles' '
	python3 "$layout" "$BUILD_DIR" "$BUILD_DIR/src" >out 2>&1 ||
	{ cat out; false; } &&
	! test -s out
'

test_expect_success 'every folder of src/ is on the Layers line' '
	grep "^Layers: " "$BUILD_DIR/src/README.md" >line &&
	for d in "$BUILD_DIR"/src/*/; do
		d=$(basename "$d") &&
		grep -E "(: | )$d( |$)" line || return 1
	done
'

# The checker on a copy of src/ with one fault each.
copy_src() {
	rm -rf t && mkdir -p t && cp -R "$BUILD_DIR/src" t/ &&
	find t/src -name "*.o" -exec rm -f {} +
}

test_expect_success 'an include up the layers is named' '
	copy_src &&
	printf "#include \"token/token.h\"\n" >>t/src/base/json.c &&
	test_expect_code 1 python3 "$layout" t >out &&
	grep -F "src/base/json.c includes \"token/token.h\": base/ may not include token/" out
'

test_expect_success 'an include between folders of one rank is named' '
	copy_src &&
	printf "#include \"broker/broker.h\"\n" >>t/src/doctor/doctor.c &&
	test_expect_code 1 python3 "$layout" t >out &&
	grep -F "doctor/ may not include broker/" out
'

test_expect_success 'an include circle between modules is named' '
	copy_src &&
	printf "#include \"mint.h\"\n" >>t/src/token/revoke.h &&
	printf "#include \"revoke.h\"\n" >>t/src/token/mint.h &&
	test_expect_code 1 python3 "$layout" t >out &&
	grep -F "include circle: token/mint <-> token/revoke" out
'

test_expect_success 'a file over 700 lines is named' '
	copy_src &&
	awk "BEGIN { for (i = 0; i < 701; i++) print \"/* */\" }" >>t/src/base/log.c &&
	test_expect_code 1 python3 "$layout" t >out &&
	grep -E "^src/base/log.c: [0-9]+ lines \\(at most 700\\)" out
'

test_expect_success 'a folder missing from the Layers line is named' '
	copy_src &&
	mkdir t/src/extra && printf "int x;\n" >t/src/extra/x.c &&
	test_expect_code 1 python3 "$layout" t >out &&
	grep -F "src/extra/: a folder that the Layers line of src/README.md does not list" out
'

test_done
