// SPDX-License-Identifier: BSD-3-Clause
module grtbench

go 1.19
