# `sam build` (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set. Every function ships the same
# bootstrap; the handler setting picks what it does. ARCH follows the template's Architecture (x86_64 or arm64).
ARCH ?= x86_64

define package
	infra/package --arch $(ARCH) --out out >/dev/null
	cp -a out/lambda-$(ARCH)/. $(ARTIFACTS_DIR)/
endef

build-AclFunction build-PolicyFunction build-PublicAccessBlockFunction build-TaggingFunction build-SweepFunction:
	$(package)

.PHONY: build-AclFunction build-PolicyFunction build-PublicAccessBlockFunction build-TaggingFunction build-SweepFunction
