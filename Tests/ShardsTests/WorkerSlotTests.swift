import Foundation
import Testing

@testable import Shards

@Suite struct WorkerSlotTests {
    /// Every shard goes to exactly one worker, in contiguous runs, in worker order, for any counts.
    @Test func slotsPartitionTheShards() throws {
        for total in [0, 1, 4, 6, 64, 1024] {
            for count in [1, 2, 3, 7, 100] {
                var next = 0
                for index in 0..<count {
                    let range = try WorkerSlot(index: index, count: count, source: "test").shards(of: total)
                    #expect(range.lowerBound == next)
                    for shard in range {
                        #expect(WorkerSlot.worker(writing: shard, of: total, workers: count) == index)
                    }
                    next = range.upperBound
                }
                #expect(next == total)
            }
        }
    }

    @Test func parsesTheFlag() throws {
        let slot = try WorkerSlot(parsing: "2/7")
        #expect(slot.index == 2 && slot.count == 7 && slot.description == "2/7")
        for bad in ["7/7", "-1/3", "1", "a/b", "1/0", "1/2/3"] {
            #expect(throws: DatasetError.self) { try WorkerSlot(parsing: bad) }
        }
    }

    @Test func readsSlurmArraysAndIndexedJobs() throws {
        let plain = try #require(
            try WorkerSlot.fromEnvironment(["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"], workers: nil))
        #expect(plain.index == 3 && plain.count == 4)
        // --array=1-8: IDs 1…8, the 8th task is worker 7.
        let fromOne = try #require(
            try WorkerSlot.fromEnvironment(
                ["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "8"], workers: nil))
        #expect(fromOne.index == 7 && fromOne.count == 8)
        // --array=0-14:2: IDs 0, 2, …, 14.
        let stepped = try #require(
            try WorkerSlot.fromEnvironment(
                ["SLURM_ARRAY_TASK_ID": "10", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2",
                 "SLURM_ARRAY_TASK_COUNT": "8"], workers: nil))
        #expect(stepped.index == 5 && stepped.count == 8)
        let indexed = try #require(try WorkerSlot.fromEnvironment(["JOB_COMPLETION_INDEX": "4"], workers: 5))
        #expect(indexed.index == 4 && indexed.count == 5 && indexed.source.contains("JOB_COMPLETION_INDEX"))
        #expect(try WorkerSlot.fromEnvironment([:], workers: 3) == nil)
        #expect(throws: DatasetError.self) { try WorkerSlot.fromEnvironment(["JOB_COMPLETION_INDEX": "0"], workers: nil) }
        #expect(throws: DatasetError.self) {
            try WorkerSlot.fromEnvironment(["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "x"], workers: nil)
        }
        #expect(throws: DatasetError.self) { try WorkerSlot.fromEnvironment(["JOB_COMPLETION_INDEX": "5"], workers: 5) }
    }
}
