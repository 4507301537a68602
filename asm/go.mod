module github.com/ebm-project/ebm/asm

go 1.26
