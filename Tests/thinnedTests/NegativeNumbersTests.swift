import Testing
@testable import thinned

/// `--option -NUMBER` is joined into `--option=-NUMBER` before parsing, and nothing else is.
@Suite struct NegativeNumbersTests {
    @Test func negativeValuesAreJoinedToTheirOption() {
        #expect(NegativeNumbers.joined(["train", "--lr", "-0.01", "--seed", "3"]) == ["train", "--lr=-0.01", "--seed", "3"])
        #expect(NegativeNumbers.joined(["--p-input", "-.5", "--threads", "-1,2", "--rotate-deg", "-inf"])
                == ["--p-input=-.5", "--threads=-1,2", "--rotate-deg=-inf"])
    }

    @Test func optionsAndTheRestAreLeftAlone() {
        let untouched = [["--lr=-0.01"], ["--oversubscribe", "--threads", "3"], ["--data", "-"], ["-h"], ["--lr", "-x"],
                         ["--", "--lr", "-1"], ["--lr"]]
        for arguments in untouched { #expect(NegativeNumbers.joined(arguments) == arguments, "\(arguments)") }
    }

    @Test func resumeCommandsSurviveAShell() {
        #expect(TrainCommand.resumeCommand(path: "/tmp/run.safetensors", epochs: 3, data: "synthetic", limit: 400)
                == "thinned train --resume /tmp/run.safetensors --epochs 3 --data synthetic --limit 400")
        #expect(TrainCommand.resumeCommand(path: "my run's.safetensors", epochs: 2, data: "/usr/share/datasets/fashion-mnist", limit: nil)
                == "thinned train --resume 'my run'\\''s.safetensors' --epochs 2")
    }
}
