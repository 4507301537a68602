module github.com/ebm-project/ebm/gonumblas/matmul

go 1.26

require (
	github.com/ebm-project/ebm/gonumblas v0.0.0
	gonum.org/v1/gonum v0.17.0
)

require (
	github.com/ebm-project/ebm v0.0.0 // indirect
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	golang.org/x/sys v0.41.0 // indirect
)

replace (
	github.com/ebm-project/ebm => ../../
	github.com/ebm-project/ebm/gonumblas => ../
)
