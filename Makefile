# The two commands of the README: `make demo` and `make test`. Both set up what they need first.
SWIFT ?= swift

.PHONY: setup build release demo test bench clean

setup:
	@scripts/setup

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

demo: build
	@scripts/demo

# The namespace scenarios (IntegrationTests) run after the rest, on their own: they measure outages, which a
# machine busy with sixty other suites would distort.
test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip IntegrationTests
	$(SWIFT) test --skip-build --filter IntegrationTests

bench: release
	bench/run

clean:
	rm -rf .build
