# The two commands of the README: `make demo` and `make test`. Both set up what they need first.
SWIFT ?= swift

.PHONY: setup build release deb demo test bench clean format lint

setup:
	@scripts/setup

build: setup
	$(SWIFT) build

# The release binary carries the Swift standard library and Foundation (--static-swift-stdlib): it runs on a Debian
# machine with no Swift toolchain, as the package installs it.
release: setup
	$(SWIFT) build -c release --static-swift-stdlib

# The Debian package (.build/understudy_VERSION_ARCH.deb): the release binary, the unit, man pages, completions.
deb: release
	@scripts/package-deb

demo: build
	@scripts/demo

# Five runs, one after the other: the two suites that lower kernel-wide inotify limits (fs.inotify.*) run apart
# from everything, and from each other (a watcher of one, started while the other had lowered the queue, would
# overflow), since a daemon of another suite started meanwhile would get a tiny event queue; and the namespace
# scenarios (IntegrationTests) run last, on their own: they measure outages, which a busy machine would distort. The
# suites whose feature is a time bound (the process runner's concurrency, the bandwidth limit) run in a quiet pass
# too: beside ninety other suites their timings say more about the load than about the code. The notification
# service's drain is one such bound (it gives up after its timeout): a CI run saw its 0.2 s take 9 s there. So is
# the failover part's dead time: under that load a heartbeat came later than it once, and the standby took over.
# And the browser's walk through the console: chromium beside the other suites missed its 30 s waits twice.
# Last, the release build and its Debian package, installed and tried in a fresh Debian root (scripts/test-package).
# The suites that start real hosts of their own (smbd and a squatter in network namespaces, two daemons reloaded, the
# daemon under a service manager) run in a pass of their own after the quiet one: beside the ninety others their start
# made a busy machine miss the timing of older suites.
HOSTS = DoctorOnAMachineTests|DiscoverTests|LiveReloadTests|LiveReloadGroupsTests|ServiceManagerTests|ProofServiceTests|RecipeProofTests|ProofLauncherTests|TrackedConfigurationTests
QUIET = InotifyWatcherTests|ProcessRunnerTests|BandwidthLimitMirrorTests|NotificationServiceTests|FailoverServiceTests|FailoverServiceReloadTests|ConsoleLagTests|MaintenanceTests|ConsoleBrowserTests
test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip "IntegrationTests|LiveOverflowTests|$(QUIET)|$(HOSTS)"
	$(SWIFT) test --skip-build --filter "$(QUIET)"
	$(SWIFT) test --skip-build --filter "$(HOSTS)"
	$(SWIFT) test --skip-build --filter LiveOverflowTests
	$(SWIFT) test --skip-build --filter IntegrationTests
	$(SWIFT) build -c release --static-swift-stdlib
	scripts/test-package "$$(scripts/package-deb | tail -1)"

bench: release
	bench/run

clean:
	rm -rf .build

# The project's format (.swift-format: 4 spaces, 120 columns); `make lint` says what differs, `make format` fixes it.
format:
	$(SWIFT) format -i -r Package.swift Sources Tests IntegrationTests

lint:
	$(SWIFT) format lint --strict -r Package.swift Sources Tests IntegrationTests
